import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { createDocumentClient } from '../../../functions/adapters/dynamodb/client';
import { createTable } from '../../../functions/adapters/dynamodb/create-table';
import { DynamoRegistryStore } from '../../../functions/adapters/dynamodb/registry-store';
import { changedAlias, rolledBackAlias } from '../../../functions/core/registry/alias-history';
import { ConflictError } from '../../../functions/core/errors';
import type { Alias } from '../../../functions/core/registry/types';
import { type LocalDynamo, startDynalite } from '../../support/dynalite';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

async function freshStore(): Promise<{ store: DynamoRegistryStore; tableName: string }> {
  const tableName = `aliases-${randomBytes(4).toString('hex')}`;
  await createTable(dynamo.client, tableName);
  const client = createDocumentClient({ client: dynamo.client });
  return { store: new DynamoRegistryStore({ tableName, client }), tableName };
}

const names = { modelName: 'digits', alias: 'prod' };
const CANARY = {
  version: '3',
  routes: [
    { version: '3', weight: 90 },
    { version: '4', weight: 10 },
  ],
};

describe('weighted aliases in DynamoDB', () => {
  test('a weighted alias with its history reads back exactly', async () => {
    const { store, tableName } = await freshStore();
    const first = changedAlias(undefined, names, { version: '3' }, '2026-01-01T00:00:00.000Z');
    const canary = changedAlias(first, names, CANARY, '2026-01-02T00:00:00.000Z');

    await store.putAlias(first, { expectedRevision: 0 });
    await store.putAlias(canary, { expectedRevision: 1 });

    await expect(store.getAlias('digits', 'prod')).resolves.toStrictEqual(canary);
    await expect(store.listAliases('digits')).resolves.toStrictEqual([canary]);
    const raw = await createDocumentClient({ client: dynamo.client }).send(
      new GetCommand({ TableName: tableName, Key: { pk: 'MODEL#digits', sk: 'ALIAS#prod' } }),
    );
    expect(raw.Item).toMatchObject({
      entity: 'ALIAS',
      version: '3',
      routes: CANARY.routes,
      revision: 2,
      history: [{ version: '3', updatedAt: '2026-01-01T00:00:00.000Z' }],
    });
  });

  test('a write expecting another revision is refused with alias_changed and changes nothing', async () => {
    const { store } = await freshStore();
    const first = changedAlias(undefined, names, { version: '1' }, '2026-01-01T00:00:00.000Z');
    await store.putAlias(first, { expectedRevision: 0 });
    const second = changedAlias(first, names, { version: '2' }, '2026-01-02T00:00:00.000Z');
    const racing = changedAlias(first, names, { version: '3' }, '2026-01-02T00:00:00.000Z');
    await store.putAlias(second, { expectedRevision: 1 });

    const refused = store.putAlias(racing, { expectedRevision: 1 });

    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toMatchObject({ status: 409, code: 'alias_changed' });
    await expect(store.getAlias('digits', 'prod')).resolves.toStrictEqual(second);
    // Creating an alias that exists already is refused the same way.
    await expect(
      store.putAlias(changedAlias(undefined, names, { version: '1' }, '2026-01-03T00:00:00.000Z'), {
        expectedRevision: 0,
      }),
    ).rejects.toMatchObject({ code: 'alias_changed' });
  });

  test('an alias written before revisions is revision 0, and moves on from there', async () => {
    const { store } = await freshStore();
    const legacy: Alias = { ...names, version: '1', updatedAt: '2025-01-01T00:00:00.000Z' };
    await store.putAlias(legacy);
    const read = await store.getAlias('digits', 'prod');
    expect(read).toStrictEqual(legacy);

    const moved = changedAlias(read, names, { version: '2' }, '2026-01-01T00:00:00.000Z');
    await store.putAlias(moved, { expectedRevision: 0 });
    const back = rolledBackAlias(moved, '2026-01-02T00:00:00.000Z');
    if (back === undefined) throw new Error('expected a target to roll back to');
    await store.putAlias(back, { expectedRevision: 1 });

    await expect(store.getAlias('digits', 'prod')).resolves.toStrictEqual({
      ...names,
      version: '1',
      updatedAt: '2026-01-02T00:00:00.000Z',
      revision: 2,
      history: [],
    });
  });

  test('a malformed routes attribute fails the read instead of reaching the domain', async () => {
    const { store, tableName } = await freshStore();
    const client = createDocumentClient({ client: dynamo.client });
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: 'MODEL#digits',
          sk: 'ALIAS#prod',
          entity: 'ALIAS',
          modelName: 'digits',
          alias: 'prod',
          version: '3',
          routes: [{ version: '3', weight: '90' }],
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      }),
    );

    await expect(store.getAlias('digits', 'prod')).rejects.toThrow(/attribute "routes" is not a target/);
  });
});
