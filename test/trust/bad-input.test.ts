import { generateApiKey } from '../../functions/core/keys/api-key';
import type { UsageReport } from '../../functions/api/views';
import { DEMO_MODEL, pretrainedFile } from '../../models/pretrained';
import { textDirectionPipeline } from '../../models/pretrained-pipelines';
import { fixtureModel } from '../support/fixtures';
import { sendRaw, type RawResponse } from '../support/raw-http';
import { badInputCases, type BadInputCase, type CaseContext } from './bad-input-cases';
import { startTrustPlatform, type TrustPlatform, type TrustTenant } from './support/trust-platform';

/**
 * Hundreds of bad requests against the whole platform over HTTP (the local API Gateway, both
 * functions, dynalite, s3rver, onnxruntime-web). Each must get its documented 4xx and code,
 * none a 5xx; the server answers health checks after every batch; and tenant A's usage
 * grows by exactly the metered errors of the table, while tenant B's does not move.
 */
describe('bad input over HTTP', () => {
  let trust: TrustPlatform;
  let tenantA: TrustTenant;
  let tenantB: TrustTenant;
  let cases: BadInputCase[];
  let usageBefore: { a: UsageReport; b: UsageReport };
  const answers = new Map<BadInputCase, RawResponse>();

  beforeAll(async () => {
    trust = await startTrustPlatform();
    tenantA = await trust.tenant('tenant-a');
    tenantB = await trust.tenant('tenant-b');
    const usageOnly = await trust.key(tenantA.tenantId, { scopes: ['usage:read'] });
    const inferOnly = await trust.key(tenantA.tenantId, { scopes: ['infer'] });
    const revoked = await trust.key(tenantA.tenantId);
    await trust.admin.revokeKey(revoked.keyId);
    // An expired key is written straight to the registry: the API refuses past expiries.
    const expired = generateApiKey();
    trust.watch.remember(expired.key);
    await trust.registry.createKey({
      keyId: expired.keyId,
      tenantId: tenantA.tenantId,
      hash: expired.hash,
      scopes: ['infer', 'models:read', 'usage:read'],
      createdAt: '2020-01-01T00:00:00.000Z',
      expiresAt: '2020-01-02T00:00:00.000Z',
    });
    const wrongSecret = `igk_${tenantA.keyId}_${generateApiKey().key.slice(21)}`;

    const addMul = await trust.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await trust.admin.setAlias('add-mul', 'prod', addMul.version);
    const allTypes = await trust.admin.registerModel('all-types', fixtureModel('identity-all-types.onnx'), {
      visibility: 'public',
    });
    await trust.admin.setAlias('all-types', 'prod', allTypes.version);
    const hidden = await trust.admin.registerModel('b-private', fixtureModel('add-mul.onnx'), {
      visibility: 'private',
      ownerTenantId: tenantB.tenantId,
    });
    await trust.admin.setAlias('b-private', 'prod', hidden.version);
    await trust.admin.createModel({ name: 'unpublished', visibility: 'public' });
    const image = await trust.admin.registerModel(DEMO_MODEL.name, pretrainedFile(DEMO_MODEL.file), {
      visibility: 'public',
      pipeline: textDirectionPipeline(),
    });
    await trust.admin.setAlias(DEMO_MODEL.name, 'prod', image.version);

    const context: CaseContext = {
      keys: {
        tenant: tenantA.key,
        usageOnly: usageOnly.key,
        inferOnly: inferOnly.key,
        expired: expired.key,
        revoked: revoked.key,
        wrongSecret,
        admin: trust.adminKey,
      },
      keyIds: { target: usageOnly.keyId, expired: expired.keyId, revoked: revoked.keyId },
      tenantId: tenantA.tenantId,
      models: {
        addMul: 'add-mul',
        allTypes: 'all-types',
        otherPrivate: 'b-private',
        unpublished: 'unpublished',
        image: DEMO_MODEL.name,
      },
    };
    cases = badInputCases(context);
    usageBefore = { a: await tenantA.client.usage(), b: await tenantB.client.usage() };
  });

  afterAll(async () => {
    await trust.stop();
  });

  it('has at least 300 cases of at least 25 kinds', () => {
    const kinds = new Set(cases.map((c) => c.kind));

    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(kinds.size).toBeGreaterThanOrEqual(25);
  });

  /** The kinds, in table order, computed before `beforeAll` runs (the names do not need keys). */
  const kinds = [...new Set(badInputCases(placeholderContext()).map((c) => c.kind))];

  it.each(kinds)(
    'answers every case of "%s" with its documented status and code, and stays up',
    async (kind) => {
      const batch = cases.filter((c) => c.kind === kind);
      const mismatches: string[] = [];
      for (const badCase of batch) {
        const response = await sendRaw(trust.url, {
          method: badCase.method,
          path: badCase.path,
          headers: badCase.headers,
          body: badCase.body,
        });
        answers.set(badCase, response);
        const problem = judge(badCase, response);
        if (problem !== undefined) mismatches.push(`${badCase.name}: ${problem}`);
      }
      const live = await fetch(`${trust.url}/v2/health/live`);
      const ready = await fetch(`${trust.url}/v2/health/ready`);

      expect(batch.length).toBeGreaterThan(0);
      expect(mismatches).toEqual([]);
      expect([live.status, ready.status]).toEqual([200, 200]);
    },
  );

  it('answered no case with a 5xx', () => {
    const serverErrors = [...answers].filter(([, response]) => response.status >= 500);

    expect(answers.size).toBe(cases.length);
    expect(serverErrors.map(([badCase, response]) => `${badCase.name}: ${response.status}`)).toEqual([]);
  });

  it("metered exactly the errors of tenant A's resolved infer requests, and nothing of tenant B", async () => {
    const metered = cases.filter((c) => c.metered).length;

    const a = await tenantA.client.usage();
    const b = await tenantB.client.usage();

    expect(metered).toBeGreaterThan(50);
    expect(a.totals.requests - usageBefore.a.totals.requests).toBe(0);
    expect(a.totals.errors - usageBefore.a.totals.errors).toBe(metered);
    expect(b.totals).toEqual(usageBefore.b.totals);
  });

  it('never logged a key or a secret', () => {
    expect(trust.watch.output()).toMatch(/"message":"request"/);
    expect(trust.watch.leaks()).toEqual([]);
  });
});

/** Why a response is not what the case documents, or undefined when it is. */
function judge(badCase: BadInputCase, response: RawResponse): string | undefined {
  const got = describeAnswer(response);
  const wanted = `${badCase.status} ${badCase.code ?? '(gateway)'}`;
  if (response.status !== badCase.status) return `expected ${wanted}, got ${got}`;
  const body = response.json;
  if (badCase.code === undefined) {
    // The gateway's own refusals carry `{"message": ...}` and no code, as in AWS.
    return isRecord(body) && typeof body.message === 'string' ? undefined : `expected ${wanted}, got ${got}`;
  }
  if (!isRecord(body) || body.code !== badCase.code) return `expected ${wanted}, got ${got}`;
  if (typeof body.error !== 'string' || body.error === '' || typeof body.requestId !== 'string') {
    return `the error body lacks error or requestId: ${response.text.slice(0, 200)}`;
  }
  if (response.status === 405 && (response.headers.allow ?? '') === '') return 'a 405 without Allow';
  if (response.status === 401 && response.headers['www-authenticate'] === undefined) {
    return 'a 401 without WWW-Authenticate';
  }
  return undefined;
}

function describeAnswer(response: RawResponse): string {
  const code = isRecord(response.json) ? response.json.code : undefined;
  return `${response.status} ${typeof code === 'string' ? code : response.text.slice(0, 120)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A context for listing the kinds at collection time, before any key exists. */
function placeholderContext(): CaseContext {
  const key = `igk_${'0'.repeat(16)}_${'A'.repeat(43)}`;
  return {
    keys: {
      tenant: key,
      usageOnly: key,
      inferOnly: key,
      expired: key,
      revoked: key,
      wrongSecret: key,
      admin: key,
    },
    keyIds: { target: '0'.repeat(16), expired: '0'.repeat(16), revoked: '0'.repeat(16) },
    tenantId: 't_0',
    models: {
      addMul: 'add-mul',
      allTypes: 'all-types',
      otherPrivate: 'b-private',
      unpublished: 'unpublished',
      image: DEMO_MODEL.name,
    },
  };
}
