import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { createDocumentClient } from '../../../functions/adapters/dynamodb/client';
import { createTable } from '../../../functions/adapters/dynamodb/create-table';
import { DynamoRegistryStore } from '../../../functions/adapters/dynamodb/registry-store';
import type { ApiKeyRecord } from '../../../functions/core/registry/types';
import { type LocalDynamo, startDynalite } from '../../support/dynalite';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

async function freshStore(): Promise<{ store: DynamoRegistryStore; tableName: string }> {
  const tableName = `expire-${randomBytes(4).toString('hex')}`;
  await createTable(dynamo.client, tableName);
  return {
    store: new DynamoRegistryStore({ tableName, client: createDocumentClient({ client: dynamo.client }) }),
    tableName,
  };
}

function apiKey(extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    keyId: '00000000000000aa',
    tenantId: 't-1',
    hash: 'a'.repeat(64),
    scopes: ['infer'],
    createdAt: '2024-05-01T10:00:00.000Z',
    name: 'ci',
    ...extra,
  };
}

describe('DynamoRegistryStore.expireKey', () => {
  test('gives a key without expiry one, kept as keyExpiresAt (not the TTL attribute)', async () => {
    const { store, tableName } = await freshStore();
    await store.createKey(apiKey());

    const expired = await store.expireKey('00000000000000aa', '2024-06-01T00:00:00.000Z');

    expect(expired).toStrictEqual(apiKey({ expiresAt: '2024-06-01T00:00:00.000Z' }));
    await expect(store.getKey('00000000000000aa')).resolves.toStrictEqual(expired);
    const raw = await createDocumentClient({ client: dynamo.client }).send(
      new GetCommand({ TableName: tableName, Key: { pk: 'KEY#00000000000000aa', sk: 'KEY' } }),
    );
    expect(raw.Item?.keyExpiresAt).toBe('2024-06-01T00:00:00.000Z');
    expect(raw.Item).not.toHaveProperty('expiresAt');
  });

  test('brings a later expiry forward', async () => {
    const { store } = await freshStore();
    await store.createKey(apiKey({ expiresAt: '2025-01-01T00:00:00.000Z' }));

    const expired = await store.expireKey('00000000000000aa', '2024-06-01T00:00:00.000Z');

    expect(expired?.expiresAt).toBe('2024-06-01T00:00:00.000Z');
  });

  test('never extends an earlier expiry, and returns the key as it stands', async () => {
    const { store } = await freshStore();
    const key = apiKey({ expiresAt: '2024-06-01T00:00:00.000Z' });
    await store.createKey(key);

    const later = await store.expireKey('00000000000000aa', '2025-01-01T00:00:00.000Z');
    const same = await store.expireKey('00000000000000aa', '2024-06-01T00:00:00.000Z');

    expect(later).toStrictEqual(key);
    expect(same).toStrictEqual(key);
    await expect(store.getKey('00000000000000aa')).resolves.toStrictEqual(key);
  });

  test('keeps a revocation as it is', async () => {
    const { store } = await freshStore();
    await store.createKey(apiKey());
    await store.revokeKey('00000000000000aa', '2024-05-02T00:00:00.000Z');

    const expired = await store.expireKey('00000000000000aa', '2024-06-01T00:00:00.000Z');

    expect(expired).toMatchObject({
      revokedAt: '2024-05-02T00:00:00.000Z',
      expiresAt: '2024-06-01T00:00:00.000Z',
    });
  });

  test('returns undefined for a missing key and creates nothing', async () => {
    const { store } = await freshStore();

    await expect(store.expireKey('ffffffffffffffff', '2024-06-01T00:00:00.000Z')).resolves.toBeUndefined();
    await expect(store.getKey('ffffffffffffffff')).resolves.toBeUndefined();
  });

  test('the earliest of concurrent expiries wins, whatever the order', async () => {
    const { store } = await freshStore();
    await store.createKey(apiKey());
    const instants = Array.from({ length: 20 }, (_, i) =>
      new Date(Date.UTC(2024, 6, 1 + ((i * 7) % 20))).toISOString(),
    );

    await Promise.all(instants.map((at) => store.expireKey('00000000000000aa', at)));

    await expect(store.getKey('00000000000000aa')).resolves.toMatchObject({
      expiresAt: [...instants].sort()[0],
    });
  });

  test.each(['2024-06-01', '2024-06-01T00:00:00Z', '2024-06-01T00:00:00.000+01:00', 'soon'])(
    'refuses %s, which would not compare as a string, and writes nothing',
    async (at) => {
      const { store } = await freshStore();
      await store.createKey(apiKey());

      await expect(store.expireKey('00000000000000aa', at)).rejects.toBeInstanceOf(RangeError);
      await expect(store.getKey('00000000000000aa')).resolves.toStrictEqual(apiKey());
    },
  );
});
