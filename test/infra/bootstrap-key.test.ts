import { OPERATOR_TENANT_ID } from '../../functions/constants';
import { ConflictError } from '../../functions/core/errors';
import { DEFAULT_PLANS } from '../../functions/core/plans/default-plans';
import { generateApiKey, keyMatchesHash } from '../../functions/core/keys/api-key';
import type { ApiKeyRecord, Plan } from '../../functions/core/registry/types';
import {
  BOOTSTRAP_KEY_NAME,
  type BootstrapEvent,
  createBootstrapHandler,
  parseProperties,
} from '../../functions/bootstrap/bootstrap-key';
import { BootstrapError } from '../../functions/bootstrap/errors';

/** In-memory registry and secret store recording what the handler does. */
function fakes(options: { revokeFails?: boolean } = {}) {
  const keys = new Map<string, ApiKeyRecord & { table: string }>();
  /** Plans by `<table>/<planId>`; a second create of one is a conflict, as in the table. */
  const plans = new Map<string, Plan>();
  /** What was written, in order: `plan:<id>` and `key`. */
  const writes: string[] = [];
  const revoked: { table: string; keyId: string; at: string }[] = [];
  const secrets = new Map<string, string>();
  const logs: string[] = [];
  const handler = createBootstrapHandler({
    storeFor: (table) => ({
      createKey: async (record) => {
        keys.set(record.keyId, { ...record, table });
        writes.push('key');
      },
      createPlan: async (plan) => {
        if (plans.has(`${table}/${plan.planId}`)) {
          throw new ConflictError('plan_exists', `plan "${plan.planId}" exists already`);
        }
        plans.set(`${table}/${plan.planId}`, plan);
        writes.push(`plan:${plan.planId}`);
      },
      revokeKey: async (keyId, at) => {
        if (options.revokeFails === true) throw new Error('ResourceNotFoundException');
        revoked.push({ table, keyId, at });
        return undefined;
      },
    }),
    secrets: {
      put: async (secretId, value) => {
        secrets.set(secretId, value);
      },
    },
    logger: {
      info: (message, extra) => logs.push(`${message} ${JSON.stringify(extra)}`),
      warn: (message, extra) => logs.push(`${message} ${JSON.stringify(extra)}`),
    },
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  });
  return { handler, keys, revoked, secrets, logs, plans, writes };
}

const PROPERTIES = { ServiceToken: 'arn:token', TableName: 'registry', SecretId: 'arn:secret' };

describe('bootstrap admin key custom resource', () => {
  it('on Create stores the hash in the registry and the key in the secret, and returns only the key id', async () => {
    const { handler, keys, secrets, logs } = fakes();

    const result = await handler({ RequestType: 'Create', ResourceProperties: PROPERTIES });

    const key = secrets.get('arn:secret') ?? '';
    const record = keys.get(result.PhysicalResourceId);
    expect(result.Data).toEqual({ KeyId: result.PhysicalResourceId });
    expect(record).toMatchObject({
      table: 'registry',
      tenantId: OPERATOR_TENANT_ID,
      scopes: ['admin'],
      name: BOOTSTRAP_KEY_NAME,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(keyMatchesHash(key, record?.hash ?? '')).toBe(true);
    expect(key.startsWith(`igk_${result.PhysicalResourceId}_`)).toBe(true);
    expect(JSON.stringify(result)).not.toContain(key);
    expect(logs.join('\n')).not.toContain(key);
  });

  it('on Create writes the default plans first, then the key', async () => {
    const { handler, plans, writes } = fakes();

    await handler({ RequestType: 'Create', ResourceProperties: PROPERTIES });

    const ids = DEFAULT_PLANS.map((plan) => plan.planId);
    expect(ids).toEqual(['free', 'pro', 'enterprise']);
    expect(writes).toEqual([...ids.map((id) => `plan:${id}`), 'key']);
    expect(plans.get('registry/free')).toMatchObject({
      planId: 'free',
      monthlyQuota: 10_000,
      allowedTiers: ['lambda'],
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('on Update writes the default plans that are missing and keeps the ones that exist', async () => {
    const { handler, plans, keys } = fakes();
    const created = await handler({ RequestType: 'Create', ResourceProperties: PROPERTIES });
    const changedPro = { ...(plans.get('registry/pro') as Plan), monthlyQuota: 5 };
    plans.set('registry/pro', changedPro);
    plans.delete('registry/enterprise');

    // An upgrade from a version without plans: the DefaultPlans property appears.
    await handler({
      RequestType: 'Update',
      PhysicalResourceId: created.PhysicalResourceId,
      ResourceProperties: { ...PROPERTIES, DefaultPlans: 'free,pro,enterprise' },
      OldResourceProperties: PROPERTIES,
    });

    expect(plans.get('registry/pro')).toBe(changedPro);
    expect(plans.get('registry/enterprise')).toMatchObject({ planId: 'enterprise' });
    expect(keys.size).toBe(1);
  });

  it('on Update keeps the key (idempotent)', async () => {
    const { handler, keys, secrets } = fakes();
    const created = await handler({ RequestType: 'Create', ResourceProperties: PROPERTIES });
    const before = secrets.get('arn:secret');

    const updated = await handler({
      RequestType: 'Update',
      PhysicalResourceId: created.PhysicalResourceId,
      ResourceProperties: PROPERTIES,
      OldResourceProperties: PROPERTIES,
    });

    expect(updated).toEqual(created);
    expect(keys.size).toBe(1);
    expect(secrets.get('arn:secret')).toBe(before);
  });

  it('on Update to another secret or table issues a new key (CloudFormation then deletes the old one)', async () => {
    const { handler, keys, secrets } = fakes();
    const created = await handler({ RequestType: 'Create', ResourceProperties: PROPERTIES });

    const moved = await handler({
      RequestType: 'Update',
      PhysicalResourceId: created.PhysicalResourceId,
      ResourceProperties: { ...PROPERTIES, SecretId: 'arn:other-secret' },
      OldResourceProperties: PROPERTIES,
    });

    expect(moved.PhysicalResourceId).not.toBe(created.PhysicalResourceId);
    expect(keys.size).toBe(2);
    expect(secrets.get('arn:other-secret')).toMatch(new RegExp(`^igk_${moved.PhysicalResourceId}_`));
  });

  it('on Delete revokes the key', async () => {
    const { handler, revoked } = fakes();
    const keyId = generateApiKey().keyId;

    const result = await handler({
      RequestType: 'Delete',
      PhysicalResourceId: keyId,
      ResourceProperties: PROPERTIES,
    });

    expect(result.PhysicalResourceId).toBe(keyId);
    expect(revoked).toEqual([{ table: 'registry', keyId, at: '2026-01-01T00:00:00.000Z' }]);
  });

  it('on Delete never fails the stack deletion, and ignores a resource whose Create failed', async () => {
    const failing = fakes({ revokeFails: true });
    const keyId = generateApiKey().keyId;
    await expect(
      failing.handler({ RequestType: 'Delete', PhysicalResourceId: keyId, ResourceProperties: PROPERTIES }),
    ).resolves.toMatchObject({ PhysicalResourceId: keyId });
    expect(failing.logs.join('\n')).toContain('could not revoke');

    const { handler, revoked } = fakes();
    const event: BootstrapEvent = {
      RequestType: 'Delete',
      PhysicalResourceId: 'request-id-of-a-failed-create',
      ResourceProperties: PROPERTIES,
    };
    await expect(handler(event)).resolves.toMatchObject({
      PhysicalResourceId: 'request-id-of-a-failed-create',
    });
    expect(revoked).toEqual([]);
  });

  it('names every missing property', () => {
    expect(() => parseProperties({})).toThrow(BootstrapError);
    expect(() => parseProperties({})).toThrow(/TableName[\s\S]*SecretId/);
    expect(parseProperties({ TableName: 'registry', SecretId: 'arn:secret' })).toEqual({
      tableName: 'registry',
      secretId: 'arn:secret',
    });
  });
});
