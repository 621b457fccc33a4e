import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { createDocumentClient } from '../../../functions/adapters/dynamodb/client';
import { createTable } from '../../../functions/adapters/dynamodb/create-table';
import { DynamoRegistryStore } from '../../../functions/adapters/dynamodb/registry-store';
import { ConflictError, NotFoundError } from '../../../functions/core/errors';
import type { ApiKeyRecord, Model, ModelVersion, Tenant } from '../../../functions/core/registry/types';
import { type LocalDynamo, startDynalite } from '../../support/dynalite';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

/** A store on a table of its own, so that listings see only what the test wrote. */
async function freshStore(pageSize?: number): Promise<{ store: DynamoRegistryStore; tableName: string }> {
  const tableName = `registry-${randomBytes(4).toString('hex')}`;
  await createTable(dynamo.client, tableName);
  const client = createDocumentClient({ client: dynamo.client });
  return { store: new DynamoRegistryStore({ tableName, client, pageSize }), tableName };
}

function tenant(tenantId: string): Tenant {
  return { tenantId, name: `Tenant ${tenantId}`, plan: 'standard', createdAt: '2024-05-01T10:00:00.000Z' };
}

function apiKey(keyId: string, tenantId: string, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    keyId,
    tenantId,
    hash: 'a'.repeat(64),
    scopes: ['infer', 'models:read'],
    createdAt: `2024-05-01T10:00:00.${keyId.slice(-3).padStart(3, '0')}Z`,
    ...extra,
  };
}

function model(name: string, extra: Partial<Model> = {}): Model {
  return { name, visibility: 'public', createdAt: '2024-05-01T10:00:00.000Z', latestVersion: 0, ...extra };
}

function modelVersion(modelName: string, version: string): ModelVersion {
  return {
    modelName,
    version,
    tier: 'lambda',
    artifact: { sha256: 'b'.repeat(64), size: 1234, key: `artifacts/sha256/${'b'.repeat(64)}.onnx` },
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
    outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 1000] }],
    opset: 17,
    createdAt: '2024-05-01T10:00:00.000Z',
  };
}

describe('tenants', () => {
  test('a created tenant reads back as the same object, without key attributes', async () => {
    const { store } = await freshStore();

    await store.createTenant(tenant('t-1'));

    await expect(store.getTenant('t-1')).resolves.toStrictEqual(tenant('t-1'));
    await expect(store.getTenant('t-2')).resolves.toBeUndefined();
  });

  test('creating an existing tenant is a conflict and keeps the first', async () => {
    const { store } = await freshStore();
    await store.createTenant(tenant('t-1'));

    const second = store.createTenant({ ...tenant('t-1'), name: 'Other' });

    await expect(second).rejects.toBeInstanceOf(ConflictError);
    await expect(second).rejects.toMatchObject({ status: 409, code: 'tenant_exists' });
    await expect(store.getTenant('t-1')).resolves.toStrictEqual(tenant('t-1'));
  });

  test('listTenants follows every page', async () => {
    const { store } = await freshStore(2);
    const ids = ['t-1', 't-2', 't-3', 't-4', 't-5', 't-6', 't-7'];
    await Promise.all(ids.map((id) => store.createTenant(tenant(id))));

    const tenants = await store.listTenants();

    expect(tenants).toStrictEqual(ids.map(tenant));
  });
});

describe('API keys', () => {
  test('a created key reads back with optional fields present or absent', async () => {
    const { store } = await freshStore();
    const plain = apiKey('0000000000000001', 't-1');
    const full = apiKey('0000000000000002', 't-1', {
      expiresAt: '2025-01-01T00:00:00.000Z',
      name: 'ci',
      scopes: ['admin'],
    });

    await store.createKey(plain);
    await store.createKey(full);

    await expect(store.getKey(plain.keyId)).resolves.toStrictEqual(plain);
    await expect(store.getKey(full.keyId)).resolves.toStrictEqual(full);
    await expect(store.getKey('ffffffffffffffff')).resolves.toBeUndefined();
  });

  test("a key's expiry is not stored in the table's TTL attribute", async () => {
    const { store, tableName } = await freshStore();
    await store.createKey(apiKey('0000000000000001', 't-1', { expiresAt: '2025-01-01T00:00:00.000Z' }));

    const raw = await createDocumentClient({ client: dynamo.client }).send(
      new GetCommand({ TableName: tableName, Key: { pk: 'KEY#0000000000000001', sk: 'KEY' } }),
    );

    expect(raw.Item).toBeDefined();
    expect(raw.Item?.expiresAt).toBeUndefined();
    expect(raw.Item?.keyExpiresAt).toBe('2025-01-01T00:00:00.000Z');
  });

  test('creating an existing key id is a conflict', async () => {
    const { store } = await freshStore();
    await store.createKey(apiKey('0000000000000001', 't-1'));

    await expect(store.createKey(apiKey('0000000000000001', 't-2'))).rejects.toMatchObject({
      status: 409,
      code: 'key_exists',
    });
  });

  test("listKeys returns one tenant's keys in creation order, across pages", async () => {
    const { store } = await freshStore(2);
    const mine = ['0000000000000005', '0000000000000001', '0000000000000003', '0000000000000004'].map((id) =>
      apiKey(id, 't-1'),
    );
    await Promise.all([...mine, apiKey('0000000000000002', 't-2')].map((key) => store.createKey(key)));

    const keys = await store.listKeys('t-1');

    expect(keys.map((key) => key.keyId)).toStrictEqual([
      '0000000000000001',
      '0000000000000003',
      '0000000000000004',
      '0000000000000005',
    ]);
    expect(keys.every((key) => key.tenantId === 't-1')).toBe(true);
    await expect(store.listKeys('t-3')).resolves.toStrictEqual([]);
  });

  test('a revocation is visible to the very next getKey', async () => {
    const { store } = await freshStore();
    const key = apiKey('0000000000000001', 't-1');
    await store.createKey(key);
    await expect(store.getKey(key.keyId)).resolves.toStrictEqual(key);

    const revoked = await store.revokeKey(key.keyId, '2024-06-01T00:00:00.000Z');

    expect(revoked).toStrictEqual({ ...key, revokedAt: '2024-06-01T00:00:00.000Z' });
    await expect(store.getKey(key.keyId)).resolves.toStrictEqual({
      ...key,
      revokedAt: '2024-06-01T00:00:00.000Z',
    });
  });

  test('revoking twice keeps the first revocation time', async () => {
    const { store } = await freshStore();
    await store.createKey(apiKey('0000000000000001', 't-1'));
    await store.revokeKey('0000000000000001', '2024-06-01T00:00:00.000Z');

    const again = await store.revokeKey('0000000000000001', '2024-07-01T00:00:00.000Z');

    expect(again?.revokedAt).toBe('2024-06-01T00:00:00.000Z');
  });

  test('revoking a missing key returns undefined and creates nothing', async () => {
    const { store } = await freshStore();

    await expect(store.revokeKey('ffffffffffffffff', '2024-06-01T00:00:00.000Z')).resolves.toBeUndefined();
    await expect(store.getKey('ffffffffffffffff')).resolves.toBeUndefined();
  });
});

describe('models', () => {
  test('a created model reads back; a duplicate is a conflict', async () => {
    const { store } = await freshStore();
    const priv = model('resnet50', { visibility: 'private', ownerTenantId: 't-1', description: 'ImageNet' });

    await store.createModel(priv);

    await expect(store.getModel('resnet50')).resolves.toStrictEqual(priv);
    await expect(store.getModel('absent')).resolves.toBeUndefined();
    await expect(store.createModel(model('resnet50'))).rejects.toMatchObject({
      status: 409,
      code: 'model_exists',
    });
  });

  test('listModels returns every model by name, across pages', async () => {
    const { store } = await freshStore(2);
    const names = ['e', 'a', 'c', 'b', 'd'];
    await Promise.all(names.map((name) => store.createModel(model(name))));

    const models = await store.listModels();

    expect(models.map((found) => found.name)).toStrictEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('50 concurrent allocations yield 1..50, each exactly once', async () => {
    const { store } = await freshStore();
    await store.createModel(model('m'));

    const numbers = await Promise.all(Array.from({ length: 50 }, () => store.allocateVersionNumber('m')));

    expect([...numbers].sort((a, b) => a - b)).toStrictEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await expect(store.getModel('m')).resolves.toMatchObject({ latestVersion: 50 });
  });

  test('allocating a version of a missing model fails and creates no model', async () => {
    const { store } = await freshStore();

    const allocation = store.allocateVersionNumber('absent');

    await expect(allocation).rejects.toBeInstanceOf(NotFoundError);
    await expect(allocation).rejects.toMatchObject({ code: 'model_not_found' });
    await expect(store.getModel('absent')).resolves.toBeUndefined();
  });
});

describe('versions', () => {
  test('a created version reads back; a duplicate is a conflict', async () => {
    const { store } = await freshStore();
    const sagemaker: ModelVersion = { ...modelVersion('m', '2'), tier: 'sagemaker', endpointName: 'ep-m-2' };
    const full = modelVersion('m', '1');
    const withoutOpset: ModelVersion = {
      modelName: full.modelName,
      version: full.version,
      tier: full.tier,
      artifact: full.artifact,
      inputs: full.inputs,
      outputs: full.outputs,
      createdAt: full.createdAt,
    };

    await store.createVersion(withoutOpset);
    await store.createVersion(sagemaker);

    await expect(store.getVersion('m', '1')).resolves.toStrictEqual(withoutOpset);
    await expect(store.getVersion('m', '2')).resolves.toStrictEqual(sagemaker);
    await expect(store.getVersion('m', '3')).resolves.toBeUndefined();
    await expect(store.getVersion('other', '1')).resolves.toBeUndefined();
    await expect(store.createVersion(modelVersion('m', '1'))).rejects.toMatchObject({
      status: 409,
      code: 'version_exists',
    });
  });

  test('versions that are not decimal numbers do not exist and cannot be created', async () => {
    const { store } = await freshStore();
    await store.createVersion(modelVersion('m', '1'));

    await expect(store.getVersion('m', '01')).resolves.toBeUndefined();
    await expect(store.getVersion('m', 'latest')).resolves.toBeUndefined();
    await expect(store.createVersion(modelVersion('m', '1.0'))).rejects.toThrow(/version\.version/);
  });

  test('listVersions is in numeric order, across pages, and only of that model', async () => {
    const { store } = await freshStore(2);
    await Promise.all(
      ['10', '2', '1', '9', '3'].map((version) => store.createVersion(modelVersion('m', version))),
    );
    await store.createVersion(modelVersion('m2', '4'));
    await store.putAlias({
      modelName: 'm',
      alias: 'prod',
      version: '2',
      updatedAt: '2024-05-02T00:00:00.000Z',
    });

    const versions = await store.listVersions('m');

    expect(versions.map((found) => found.version)).toStrictEqual(['1', '2', '3', '9', '10']);
    await expect(store.listVersions('absent')).resolves.toStrictEqual([]);
  });
});

describe('aliases', () => {
  test('putAlias creates and then moves an alias', async () => {
    const { store } = await freshStore();
    const first = { modelName: 'm', alias: 'prod', version: '1', updatedAt: '2024-05-02T00:00:00.000Z' };
    const moved = { ...first, version: '2', updatedAt: '2024-05-03T00:00:00.000Z' };

    await store.putAlias(first);
    await expect(store.getAlias('m', 'prod')).resolves.toStrictEqual(first);
    await store.putAlias(moved);

    await expect(store.getAlias('m', 'prod')).resolves.toStrictEqual(moved);
    await expect(store.getAlias('m', 'staging')).resolves.toBeUndefined();
  });

  test('listAliases returns the aliases of one model, across pages', async () => {
    const { store } = await freshStore(2);
    const aliases = ['canary', 'prod', 'staging'].map((alias, index) => ({
      modelName: 'm',
      alias,
      version: String(index + 1),
      updatedAt: '2024-05-02T00:00:00.000Z',
    }));
    await Promise.all(aliases.map((alias) => store.putAlias(alias)));
    await store.putAlias({
      modelName: 'm2',
      alias: 'prod',
      version: '1',
      updatedAt: '2024-05-02T00:00:00.000Z',
    });
    await store.createVersion(modelVersion('m', '1'));

    await expect(store.listAliases('m')).resolves.toStrictEqual(aliases);
  });
});

describe('construction', () => {
  test('a pageSize that is not a positive integer is refused, naming the option', () => {
    expect(
      () => new DynamoRegistryStore({ tableName: 't', client: createDocumentClient(), pageSize: 0 }),
    ).toThrow(/options\.pageSize/);
  });
});
