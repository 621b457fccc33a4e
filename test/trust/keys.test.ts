import { paginateScan, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InfergateApiError } from '../../client';
import { runCli } from '../../cli/main';
import type { CliIo } from '../../cli/io';
import type { RotateKeyRequest, RotatedKey } from '../../functions/api/schemas';
import { fixtureModel } from '../support/fixtures';
import { sendRaw } from '../support/raw-http';
import { KEY_PATTERN } from './support/secret-watch';
import { startTrustPlatform, type TrustPlatform, type TrustTenant } from './support/trust-platform';

/**
 * Keys and secrets: rotation with an overlap window (real waits, no fake clock), what the
 * table holds after keys were created and rotated (only hashes), and what was logged.
 */
describe('keys and secrets', () => {
  let trust: TrustPlatform;
  let tenant: TrustTenant;
  let cwd: string;

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function statusOf(call: Promise<unknown>): Promise<number | string> {
    try {
      await call;
      return 200;
    } catch (error) {
      if (error instanceof InfergateApiError) return `${error.status} ${error.code}`;
      throw error;
    }
  }

  async function rotate(keyId: string, request: RotateKeyRequest) {
    const rotated = await trust.admin.rotateKey(keyId, request);
    trust.watch.remember(rotated.key);
    return rotated;
  }

  beforeAll(async () => {
    trust = await startTrustPlatform();
    tenant = await trust.tenant('keys');
    const version = await trust.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await trust.admin.setAlias('add-mul', 'prod', version.version);
    cwd = await mkdtemp(path.join(tmpdir(), 'infergate-trust-cli-'));
  });

  afterAll(async () => {
    await trust.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  it('rotates a key: the new one is shown once, alike; the old one works until the overlap ends, then key_expired', async () => {
    const old = await trust.admin.createKey({
      tenantId: tenant.tenantId,
      scopes: ['models:read', 'usage:read'],
      name: 'ci',
    });
    trust.watch.remember(old.key);
    const oldClient = trust.client(old.key);
    await oldClient.modelMetadata('add-mul');

    const before = Date.now();
    const rotated = await rotate(old.keyId, { overlapSeconds: 2 });
    const newClient = trust.client(rotated.key);

    expect(rotated).toMatchObject({
      tenantId: tenant.tenantId,
      scopes: ['models:read', 'usage:read'],
      name: 'ci',
      replaced: { keyId: old.keyId },
    });
    expect(rotated.keyId).not.toBe(old.keyId);
    expect(rotated.key).toMatch(new RegExp(`^${KEY_PATTERN.source}$`));
    expect(rotated.expiresAt).toBeUndefined();
    const endsAt = Date.parse(rotated.replaced.expiresAt);
    expect(endsAt).toBeGreaterThanOrEqual(before + 2000);
    expect(endsAt).toBeLessThanOrEqual(Date.now() + 2000);
    // Inside the overlap both keys work.
    expect(await statusOf(oldClient.modelMetadata('add-mul'))).toBe(200);
    expect(await statusOf(newClient.modelMetadata('add-mul'))).toBe(200);
    const listed = (await trust.admin.listKeys(tenant.tenantId)).keys;
    expect(listed.find((k) => k.keyId === old.keyId)?.expiresAt).toBe(rotated.replaced.expiresAt);
    expect(listed.find((k) => k.keyId === rotated.keyId)).toMatchObject({ name: 'ci' });

    await sleep(endsAt - Date.now() + 250);

    expect(await statusOf(oldClient.modelMetadata('add-mul'))).toBe('401 key_expired');
    expect(await statusOf(oldClient.usage())).toBe('401 key_expired');
    expect(await statusOf(newClient.modelMetadata('add-mul'))).toBe(200);
    expect(await statusOf(newClient.usage())).toBe(200);
  });

  it('never extends an earlier expiry, and gives the new key only the expiry asked for', async () => {
    const soon = new Date(Date.now() + 10 * 60_000).toISOString();
    const old = await trust.key(tenant.tenantId, { expiresAt: soon });
    const later = new Date(Date.now() + 90 * 86_400_000).toISOString();

    const rotated = await rotate(old.keyId, { overlapSeconds: 86_400, expiresAt: later });

    expect(rotated.replaced.expiresAt).toBe(soon);
    expect(rotated.expiresAt).toBe(later);
    const stored = await trust.registry.getKey(old.keyId);
    expect(stored?.expiresAt).toBe(soon);
  });

  it('defaults the overlap to one hour when the body is empty', async () => {
    const old = await trust.key(tenant.tenantId);

    const response = await sendRaw(trust.url, {
      method: 'POST',
      path: `/admin/keys/${old.keyId}/rotate`,
      headers: [['authorization', `Bearer ${trust.adminKey}`]],
    });
    const rotated = response.json as RotatedKey;
    trust.watch.remember(rotated.key);

    expect(response.status).toBe(201);
    expect(Math.abs(Date.parse(rotated.replaced.expiresAt) - (Date.now() + 3_600_000))).toBeLessThan(10_000);
  });

  it('rotates with overlap 0: the old key stops at once, a revoked key cannot be rotated', async () => {
    const old = await trust.key(tenant.tenantId);
    const rotated = await rotate(old.keyId, { overlapSeconds: 0 });
    await trust.admin.revokeKey(rotated.keyId);

    const oldStatus = await statusOf(trust.client(old.key).usage());
    const again = await statusOf(trust.admin.rotateKey(rotated.keyId));

    expect(oldStatus).toBe('401 key_expired');
    expect(again).toBe('409 key_inactive');
  });

  it('rotates an admin key: the new one is an admin key of the operator', async () => {
    const admin = await trust.admin.createKey({ tenantId: 'operator', scopes: ['admin'] });
    trust.watch.remember(admin.key);

    const rotated = await rotate(admin.keyId, { overlapSeconds: 60 });

    expect(rotated).toMatchObject({ tenantId: 'operator', scopes: ['admin'] });
    expect((await trust.client(rotated.key).listTenants()).tenants.length).toBeGreaterThan(0);
  });

  it('rotates from the CLI: infergate key rotate <keyId> --overlap 90s', async () => {
    const old = await trust.key(tenant.tenantId);
    const target = ['--url', trust.url, '--admin-key', trust.adminKey];
    const json = captureIo(cwd);
    const human = captureIo(cwd);
    const wrong = captureIo(cwd);

    const jsonCode = await runCli(
      ['key', 'rotate', old.keyId, '--overlap', '90s', '--json', ...target],
      json.io,
    );
    const rotated = JSON.parse(json.out()) as RotatedKey;
    trust.watch.remember(rotated.key);
    const humanCode = await runCli(['key', 'rotate', rotated.keyId, '--overlap', '1h', ...target], human.io);
    const wrongCode = await runCli(['key', 'rotate', old.keyId, '--overlap', '31d', ...target], wrong.io);
    const printed = /igk_\S+/.exec(human.out())?.[0] ?? '';
    trust.watch.remember(printed);

    expect(jsonCode).toBe(0);
    expect(rotated.replaced.keyId).toBe(old.keyId);
    expect(Math.abs(Date.parse(rotated.replaced.expiresAt) - (Date.now() + 90_000))).toBeLessThan(10_000);
    expect(humanCode).toBe(0);
    expect(human.out()).toContain(`key ${rotated.keyId} keeps working until`);
    expect(await statusOf(trust.client(printed).usage())).toBe(200);
    expect(wrongCode).toBe(2);
    expect(wrong.err()).toContain('at most 30 days');
  });

  it('stores only hashes: a Scan of every item finds no key and no secret, and each key item holds its SHA-256', async () => {
    // One more of everything, so that the table holds usage too (`enterprise` has a rate limit:
    // its usage is counted in the tenant's limit item of the day, entity LIMIT).
    await tenant.client.infer('add-mul', {
      inputs: [
        { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
        { name: 'b', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
      ],
    });
    const items: Record<string, AttributeValue>[] = [];
    for await (const page of paginateScan(
      { client: trust.platform.dynamo.client },
      { TableName: trust.platform.dynamo.tableName },
    )) {
      items.push(...(page.Items ?? []));
    }
    const texts = items.map((item) => JSON.stringify(item));
    const keys = trust.watch.remembered();
    const secrets = keys.map((key) => key.slice(21));
    const hashes = new Set(items.filter((item) => item.entity?.S === 'KEY').map((item) => item.hash?.S));

    expect(new Set(items.map((item) => item.entity?.S))).toEqual(
      new Set(['TENANT', 'KEY', 'MODEL', 'VERSION', 'ALIAS', 'PLAN', 'LIMIT']),
    );
    expect(keys.length).toBeGreaterThanOrEqual(10);
    expect(texts.filter((text) => new RegExp(KEY_PATTERN.source).test(text))).toEqual([]);
    expect(texts.filter((text) => secrets.some((secret) => text.includes(secret)))).toEqual([]);
    for (const key of keys) {
      expect(hashes).toContain(createHash('sha256').update(key).digest('hex'));
    }
  });

  it('never logged a key or a secret', () => {
    expect(trust.watch.output()).toMatch(/"message":"request"/);
    expect(trust.watch.leaks()).toEqual([]);
  });
});

function captureIo(cwd: string): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      env: {},
      cwd,
      now: () => new Date(),
    },
    out: () => out,
    err: () => err,
  };
}
