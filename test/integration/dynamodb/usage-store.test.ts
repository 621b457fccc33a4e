import { randomBytes } from 'node:crypto';
import { createDocumentClient } from '../../../functions/adapters/dynamodb/client';
import { createTable } from '../../../functions/adapters/dynamodb/create-table';
import { DynamoUsageStore } from '../../../functions/adapters/dynamodb/usage-store';
import type { UsageEvent, UsageRow } from '../../../functions/core/metering/types';
import { type LocalDynamo, startDynalite } from '../../support/dynalite';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

/** A store on a table of its own; `commands` lists every SDK command the store sent. */
async function freshStore(pageSize?: number): Promise<{ store: DynamoUsageStore; commands: string[] }> {
  const tableName = `usage-${randomBytes(4).toString('hex')}`;
  await createTable(dynamo.client, tableName);
  const lowLevel = dynamo.createClient();
  const commands: string[] = [];
  lowLevel.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  const client = createDocumentClient({ client: lowLevel });
  return { store: new DynamoUsageStore({ tableName, client, pageSize }), commands };
}

function event(extra: Partial<UsageEvent> = {}): UsageEvent {
  return {
    tenantId: 't-1',
    keyId: '0000000000000001',
    modelName: 'resnet50',
    version: '1',
    plan: 'free',
    at: new Date('2024-05-10T12:00:00.000Z'),
    error: false,
    computeMs: 10,
    inputBytes: 100,
    outputBytes: 1000,
    ...extra,
  };
}

function row(extra: Partial<UsageRow> = {}): UsageRow {
  return {
    tenantId: 't-1',
    day: '2024-05-10',
    modelName: 'resnet50',
    version: '1',
    plan: 'free',
    requests: 1,
    errors: 0,
    computeMs: 10,
    inputBytes: 100,
    outputBytes: 1000,
    ...extra,
  };
}

test('recording an event is exactly one UpdateItem and no read', async () => {
  const { store, commands } = await freshStore();

  await store.record(event());

  expect(commands).toStrictEqual(['UpdateItemCommand']);
});

test('500 concurrent events of one tenant, model and day are counted exactly', async () => {
  const { store } = await freshStore();
  const events = Array.from({ length: 500 }, (_, i) =>
    event({
      at: new Date(Date.UTC(2024, 4, 10, 0, 0, i % 60, i)),
      computeMs: (i % 37) + 0.5,
      inputBytes: 1000 + i,
      outputBytes: 7 * i,
    }),
  );

  await Promise.all(events.map((each) => store.record(each)));

  const sum = (pick: (each: UsageEvent) => number) => events.reduce((total, each) => total + pick(each), 0);
  await expect(store.listTenantMonth('t-1', '2024-05')).resolves.toStrictEqual([
    row({
      requests: 500,
      errors: 0,
      computeMs: sum((each) => each.computeMs),
      inputBytes: sum((each) => each.inputBytes),
      outputBytes: sum((each) => each.outputBytes),
    }),
  ]);
});

test('failed requests are counted apart from requests', async () => {
  const { store } = await freshStore();

  await Promise.all([
    store.record(event()),
    store.record(event()),
    store.record(event()),
    store.record(event({ error: true, computeMs: 1, inputBytes: 5, outputBytes: 0 })),
    store.record(event({ error: true, computeMs: 2, inputBytes: 6, outputBytes: 0 })),
  ]);

  await expect(store.listTenantMonth('t-1', '2024-05')).resolves.toStrictEqual([
    row({ requests: 3, errors: 2, computeMs: 33, inputBytes: 311, outputBytes: 3000 }),
  ]);
});

test('an error as the first event of the day still yields a complete row', async () => {
  const { store } = await freshStore();

  await store.record(event({ error: true }));

  await expect(store.listTenantMonth('t-1', '2024-05')).resolves.toStrictEqual([
    row({ requests: 0, errors: 1 }),
  ]);
});

test('days and months are UTC: the last millisecond of a month and the first of the next', async () => {
  const { store } = await freshStore();

  await store.record(event({ at: new Date('2024-01-31T23:59:59.999Z') }));
  await store.record(event({ at: new Date('2024-02-01T00:00:00.000Z') }));
  // 00:30 in UTC+01:00 is still January 31st in UTC.
  await store.record(event({ at: new Date('2024-02-01T00:30:00.000+01:00') }));

  await expect(store.listTenantMonth('t-1', '2024-01')).resolves.toStrictEqual([
    row({ day: '2024-01-31', requests: 2, computeMs: 20, inputBytes: 200, outputBytes: 2000 }),
  ]);
  await expect(store.listTenantMonth('t-1', '2024-02')).resolves.toStrictEqual([row({ day: '2024-02-01' })]);
  await expect(store.listTenantMonth('t-1', '2024-03')).resolves.toStrictEqual([]);
});

test("a tenant's month has one row per day, model and version, and no other tenant's rows", async () => {
  const { store } = await freshStore(2);

  await Promise.all([
    store.record(event({ at: new Date('2024-05-02T08:00:00Z') })),
    store.record(event({ at: new Date('2024-05-01T08:00:00Z') })),
    store.record(event({ at: new Date('2024-05-01T09:00:00Z'), version: '2' })),
    store.record(event({ at: new Date('2024-05-01T09:00:00Z'), modelName: 'bert' })),
    store.record(event({ at: new Date('2024-05-01T09:00:00Z'), tenantId: 't-2' })),
  ]);

  const rows = await store.listTenantMonth('t-1', '2024-05');

  expect(rows.map((found) => [found.day, found.modelName, found.version])).toStrictEqual([
    ['2024-05-01', 'bert', '1'],
    ['2024-05-01', 'resnet50', '1'],
    ['2024-05-01', 'resnet50', '2'],
    ['2024-05-02', 'resnet50', '1'],
  ]);
});

test("listMonth returns every tenant's rows of that month only, ordered by tenant and day", async () => {
  const { store } = await freshStore();

  await Promise.all([
    store.record(event({ tenantId: 't-2', at: new Date('2024-05-03T00:00:00Z') })),
    store.record(event({ tenantId: 't-1', at: new Date('2024-05-31T23:59:59.999Z') })),
    store.record(event({ tenantId: 't-1', at: new Date('2024-05-01T00:00:00Z'), error: true })),
    store.record(event({ tenantId: 't-2', at: new Date('2024-06-01T00:00:00Z') })),
    store.record(event({ tenantId: 't-1', at: new Date('2024-04-30T23:59:59.999Z') })),
  ]);

  await expect(store.listMonth('2024-05')).resolves.toStrictEqual([
    row({ tenantId: 't-1', day: '2024-05-01', requests: 0, errors: 1 }),
    row({ tenantId: 't-1', day: '2024-05-31' }),
    row({ tenantId: 't-2', day: '2024-05-03' }),
  ]);
  await expect(store.listMonth('2024-07')).resolves.toStrictEqual([]);
});

test('listMonth reads more rows than one index page and one BatchGetItem hold', async () => {
  const { store } = await freshStore(40);
  const models = Array.from({ length: 130 }, (_, i) => `model-${String(i).padStart(3, '0')}`);

  await Promise.all(
    models.map((modelName, i) =>
      store.record(event({ tenantId: i % 2 === 0 ? 't-1' : 't-2', modelName, inputBytes: i })),
    ),
  );

  const rows = await store.listMonth('2024-05');
  expect(rows).toHaveLength(130);
  expect(rows.reduce((total, found) => total + found.inputBytes, 0)).toBe((129 * 130) / 2);
  expect(rows.slice(0, 65).every((found) => found.tenantId === 't-1')).toBe(true);
});

test('months that are not YYYY-MM and negative counters are refused before any request', async () => {
  const { store, commands } = await freshStore();

  await expect(store.listMonth('2024-5')).rejects.toThrow(/month must be YYYY-MM/);
  await expect(store.listTenantMonth('t-1', '2024-13')).rejects.toThrow(/month must be YYYY-MM/);
  await expect(store.record(event({ inputBytes: -1 }))).rejects.toThrow(/event\.inputBytes/);
  await expect(store.record(event({ computeMs: Number.NaN }))).rejects.toThrow(/event\.computeMs/);
  expect(commands).toStrictEqual([]);
});
