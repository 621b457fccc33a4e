import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createRequire } from 'node:module';
import { createDocumentClient, DynamoUsageStore } from '../../../functions/adapters/dynamodb';
import { DynamoLimitStore } from '../../../functions/adapters/dynamodb/limit-store';
import { dayItemKey } from '../../../functions/adapters/dynamodb/month-item';
import { InfergateError } from '../../../functions/core/errors';
import { Limiter } from '../../../functions/core/limits/limiter';
import { requestLimitsOf, type RequestLimits } from '../../../functions/core/limits/policy';
import type { UsageEvent } from '../../../functions/core/metering/types';
import { LOCAL_AWS, startDynalite, type LocalDynamo } from '../../support/dynalite';
import { startDynamoFaultProxy, type ProxyFault } from '../../support/dynamo-fault-proxy';

/** Commands sent through a client, by name (once per `send`, whatever the SDK does under it). */
function countCommands(client: DynamoDBClient): Record<string, number> {
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return counts;
}

/** dynalite's own measure of an item (low-level format), the one its 400 KB limit uses. */
const itemSize: (item: Record<string, unknown>) => number = createRequire(__filename)('dynalite/db').itemSize;

async function refusalOf(promise: Promise<unknown>): Promise<InfergateError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InfergateError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const AT = new Date('2026-05-20T12:00:00.000Z');
const later = (ms: number) => new Date(AT.getTime() + ms);
const THROTTLED = { status: 400, type: 'ThrottlingException' };

/** The limiters' clock: each test sets the time a request comes at. */
let clock = AT.getTime();
const now = () => clock;

/** A successful request of `tenantId` at `at`, with `inputBytes` that tell requests apart. */
function usageAt(
  tenantId: string,
  at: Date,
  planId = 'p',
  inputBytes = 10,
  modelName = 'add-mul',
): UsageEvent {
  return {
    tenantId,
    keyId: '0123456789abcdef',
    modelName,
    version: '1',
    plan: planId,
    at,
    error: false,
    computeMs: 1.5,
    inputBytes,
    outputBytes: 20,
  };
}

/** `limiter.admit` of a request received and written at `when`. */
function admitAt(
  limiter: Limiter | undefined,
  when: Date,
  tenantId: string,
  planId: string,
  limits: RequestLimits | undefined,
  steps: readonly UsageEvent[] = [],
) {
  if (limiter === undefined) throw new Error('no limiter');
  if (limits === undefined) throw new Error('no limits');
  clock = when.getTime();
  return limiter.admit(tenantId, planId, limits, usageAt(tenantId, when, planId), steps);
}

/** Faults for the next `count` UpdateItems, then none. */
function nextUpdates(fault: ProxyFault, count = 1): (operation: string) => ProxyFault {
  let left = count;
  return (operation) => {
    if (operation !== 'UpdateItem' || left <= 0) return 'pass';
    left -= 1;
    return fault;
  };
}

describe('DynamoLimitStore and Limiter on dynalite', () => {
  let dynamo: LocalDynamo;
  let counts: Record<string, number>;
  let store: DynamoLimitStore;
  let usage: DynamoUsageStore;
  let tenantNumber = 0;
  const newTenant = () => `t_limit${(tenantNumber += 1)}`;

  const storeOn = (client: DynamoDBClient) =>
    new DynamoLimitStore({ tableName: dynamo.tableName, client: createDocumentClient({ client }) });
  /** The tenant's limit item of one day (`DD`). */
  const itemOf = async (tenantId: string, month = '2026-05', day = '20') => {
    const output = await createDocumentClient({ client: dynamo.client }).send(
      new GetCommand({
        TableName: dynamo.tableName,
        Key: dayItemKey(tenantId, month, day),
        ConsistentRead: true,
      }),
    );
    return output.Item;
  };
  /** dynalite's size of a tenant's limit item of one day, in bytes. */
  const sizeOf = async (tenantId: string, month: string, day: string) => {
    const { Item: item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: `USAGE#${tenantId}#${month}` }, sk: { S: `LIMIT#${day}` } },
        ConsistentRead: true,
      }),
    );
    if (item === undefined) throw new Error(`no limit item of day ${day}`);
    return { size: itemSize(item), names: Object.keys(item) };
  };
  const resetCounts = () => {
    for (const name of Object.keys(counts)) delete counts[name];
  };
  const usageOf = async (tenantId: string, month = '2026-05') => usage.listTenantMonth(tenantId, month);

  beforeAll(async () => {
    dynamo = await startDynalite();
    const client = dynamo.createClient({ maxAttempts: 1 });
    counts = countCommands(client);
    store = storeOn(client);
    usage = new DynamoUsageStore({
      tableName: dynamo.tableName,
      client: createDocumentClient({ client: dynamo.client }),
    });
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  beforeEach(() => {
    for (const name of Object.keys(counts)) delete counts[name];
  });

  describe('an admit-and-meter write', () => {
    const limits = requestLimitsOf({
      planId: 'p',
      monthlyQuota: 2,
      rateLimit: { requestsPerSecond: 4, burst: 2 },
    });
    const nowUs = AT.getTime() * 1000;

    it('applies only with the variant whose condition the record meets, and returns the new state', async () => {
      const key = { tenantId: newTenant(), month: '2026-05' };
      if (limits === undefined) throw new Error('no limits');
      const write = () => store.open(usageAt(key.tenantId, AT), []);
      // The day's first write rolls the day (a new item, used 0 and no tat), then is refused.
      expect(await store.admit(key, limits, nowUs, 'continue', write())).toEqual({
        outcome: 'refused',
        state: { used: 0 },
      });
      expect(await store.admit(key, limits, nowUs, 'restart', write())).toEqual({
        outcome: 'applied',
        state: { used: 1, tat: nowUs + 250_000 },
      });
      expect(await store.admit(key, limits, nowUs, 'restart', write())).toEqual({
        outcome: 'refused',
        state: { used: 1, tat: nowUs + 250_000 },
      });
      expect(await store.admit(key, limits, nowUs, 'continue', write())).toEqual({
        outcome: 'applied',
        state: { used: 2, tat: nowUs + 500_000 },
      });
      // Quota of 2 spent: refused whatever the variant and the time.
      expect(await store.admit(key, limits, nowUs + 10_000_000, 'restart', write())).toEqual({
        outcome: 'refused',
        state: { used: 2, tat: nowUs + 500_000 },
      });
      expect(await store.read(key)).toEqual({ used: 2, tat: nowUs + 500_000 });
      expect(await itemOf(key.tenantId)).toMatchObject({
        pk: `USAGE#${key.tenantId}#2026-05`,
        sk: 'LIMIT#20',
        entity: 'LIMIT',
        tenantId: key.tenantId,
        month: '2026-05',
        day: '20',
        expiresAt: Date.UTC(2026, 5, 1 + 92) / 1000,
        gsi2pk: 'USAGEMONTH#2026-05',
        gsi2sk: `${key.tenantId}#LIMIT#20`,
        'r|20#add-mul#1#p': 2,
        'c|20#add-mul#1#p': 3,
        'i|20#add-mul#1#p': 20,
        'o|20#add-mul#1#p': 40,
      });
    });

    it('applies a write once however often it is sent (writer and number)', async () => {
      const key = { tenantId: newTenant(), month: '2026-05' };
      if (limits === undefined) throw new Error('no limits');
      const write = store.open(usageAt(key.tenantId, AT), []);
      expect((await store.admit(key, limits, nowUs, 'restart', write)).outcome).toBe('applied');
      // Sent again (a retry the limiter did not know was applied): the writer's number refuses it.
      expect(await store.admit(key, limits, nowUs + 10_000_000, 'restart', write)).toEqual({
        outcome: 'refused',
        state: { used: 1, tat: nowUs + 250_000 },
      });
      store.close(write, true);
      expect(await itemOf(key.tenantId)).toMatchObject({ used: 1, 'r|20#add-mul#1#p': 1 });
    });

    it('adds the counters of every event of the request: the request and its pipeline steps', async () => {
      const tenantId = newTenant();
      const limiter = new Limiter({ store, now });
      const step: UsageEvent = { ...usageAt(tenantId, AT, 'q'), modelName: 'orientation', outputBytes: 0 };
      await admitAt(limiter, later(-1), tenantId, 'q', { monthlyQuota: 5 });
      resetCounts();

      const admitted = await admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 5 }, [step]);

      expect(admitted).toEqual({
        usage: 'counted',
        headers: expect.objectContaining({ 'x-quota-remaining': '3' }),
      });
      expect(counts).toEqual({ UpdateItemCommand: 1 });
      const rows = await usageOf(tenantId);
      expect(rows.map((row) => [row.day, row.modelName, row.requests, row.outputBytes]).sort()).toEqual([
        ['2026-05-20', 'add-mul', 2, 40],
        ['2026-05-20', 'orientation', 1, 0],
      ]);
      expect((await itemOf(tenantId))?.used).toBe(2);
    });
  });

  describe('the day items read as usage', () => {
    it('lists the counters of every day item as rows, merged with usage rows of the same key, for the tenant and for the month', async () => {
      const tenantId = newTenant();
      const limiter = new Limiter({ store, now });
      const limits = requestLimitsOf({ planId: 'q', monthlyQuota: 100 });
      for (let i = 0; i < 3; i += 1) await admitAt(limiter, later(i), tenantId, 'q', limits);
      await admitAt(limiter, new Date('2026-05-21T08:00:00Z'), tenantId, 'q', limits);
      // A failure and a fallback row of the same key, written as usage rows.
      await usage.record({ ...usageAt(tenantId, AT, 'q'), error: true, computeMs: 0, outputBytes: 0 });
      await usage.record(usageAt(tenantId, AT, 'q', 7));

      const rows = await usageOf(tenantId);
      const everyone = (await usage.listMonth('2026-05')).filter((row) => row.tenantId === tenantId);

      const expected = [
        {
          tenantId,
          day: '2026-05-20',
          modelName: 'add-mul',
          version: '1',
          plan: 'q',
          requests: 4,
          errors: 1,
          computeMs: 6,
          inputBytes: 47,
          outputBytes: 80,
        },
        {
          tenantId,
          day: '2026-05-21',
          modelName: 'add-mul',
          version: '1',
          plan: 'q',
          requests: 1,
          errors: 0,
          computeMs: 1.5,
          inputBytes: 10,
          outputBytes: 20,
        },
      ];
      expect([...rows].sort((a, b) => a.day.localeCompare(b.day))).toEqual(expected);
      expect(everyone).toEqual(expected);
    });
  });

  describe('exactness under concurrency', () => {
    it('admits exactly Q of 3Q concurrent requests from two instances sharing the table, and bills exactly Q', async () => {
      const limits = requestLimitsOf({ planId: 'q', monthlyQuota: 25 });
      const other = new Limiter({ store: storeOn(dynamo.createClient({ maxAttempts: 1 })), now });
      const limiters = [new Limiter({ store, now }), other];
      const tenantId = newTenant();

      const results = await Promise.allSettled(
        Array.from({ length: 75 }, (_, i) => admitAt(limiters[i % 2], later(i), tenantId, 'q', limits)),
      );

      const admitted = results.filter((result) => result.status === 'fulfilled');
      const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      expect(admitted).toHaveLength(25);
      expect(refused).toHaveLength(50);
      expect(
        refused.every((error) => error instanceof InfergateError && error.code === 'quota_exceeded'),
      ).toBe(true);
      expect((await itemOf(tenantId))?.used).toBe(25);
      expect(await usageOf(tenantId)).toMatchObject([{ requests: 25, errors: 0, inputBytes: 250 }]);
    });

    it('admits exactly a burst of concurrent requests at one instant, quota or not', async () => {
      const limits = requestLimitsOf({ planId: 'r', rateLimit: { requestsPerSecond: 2, burst: 10 } });
      const limiters = [
        new Limiter({ store, now }),
        new Limiter({ store: storeOn(dynamo.createClient({ maxAttempts: 1 })), now }),
      ];
      const tenantId = newTenant();

      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => admitAt(limiters[i % 2], AT, tenantId, 'r', limits)),
      );

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(10);
      const codes = results.flatMap((result) =>
        result.status === 'rejected' && result.reason instanceof InfergateError ? [result.reason.code] : [],
      );
      expect(codes).toEqual(Array.from({ length: 30 }, () => 'rate_limited'));
      expect(await usageOf(tenantId)).toMatchObject([{ requests: 10 }]);
    });
  });

  describe('the rate limit', () => {
    const limits = requestLimitsOf({ planId: 'free', rateLimit: { requestsPerSecond: 4, burst: 3 } });

    it('admits a burst, refuses the next with Retry-After, and admits again once an interval has passed', async () => {
      const limiter = new Limiter({ store, now });
      const tenantId = newTenant();
      const headers = [];
      for (let i = 0; i < 3; i += 1)
        headers.push((await admitAt(limiter, AT, tenantId, 'free', limits)).headers);
      expect(headers.map((h) => h['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
      expect(headers[0]).toEqual({
        'x-ratelimit-limit': '3',
        'x-ratelimit-remaining': '2',
        'x-ratelimit-reset': '1',
      });

      const refused = await refusalOf(admitAt(limiter, later(100), tenantId, 'free', limits));
      expect(refused).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(refused.message).toMatch(/plan "free".*4 requests per second, bursts of 3/);
      expect(refused.headers).toEqual({
        'retry-after': '1',
        'x-ratelimit-limit': '3',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1',
      });

      // 250 ms later one request fits again: tat = 750 ms <= now + (3 - 1) x 250 ms.
      const again = await admitAt(limiter, later(250), tenantId, 'free', limits);
      expect(again.headers['x-ratelimit-remaining']).toBe('0');
      // After a quiet second the whole burst is back.
      expect(
        (await admitAt(limiter, later(2_000), tenantId, 'free', limits)).headers['x-ratelimit-remaining'],
      ).toBe('2');
      // Refused requests are not billed.
      expect(await usageOf(tenantId)).toMatchObject([{ requests: 5 }]);
    });

    it('places a request that waited at the time its writes are sent, not the time it arrived', async () => {
      const tenantId = newTenant();
      const busy = new Limiter({ store, now });
      for (let i = 0; i < 3; i += 1) await admitAt(busy, later(5_000), tenantId, 'free', limits);
      // Arrived at AT, its write goes out 5.3 s later: one request fits again by then.
      const times = [AT.getTime(), AT.getTime() + 5_300];
      const waited = new Limiter({ store, now: () => times.shift() ?? AT.getTime() + 5_300 });
      if (limits === undefined) throw new Error('no limits');

      const admitted = await waited.admit(tenantId, 'free', limits, usageAt(tenantId, AT, 'free'), []);

      expect(admitted.headers['x-ratelimit-remaining']).toBe('0');
    });

    it('refuses without any write, before the model runs, while the remembered state proves the rate is spent', async () => {
      const limiter = new Limiter({ store, now });
      const tenantId = newTenant();
      if (limits === undefined) throw new Error('no limits');
      for (let i = 0; i < 3; i += 1) await admitAt(limiter, AT, tenantId, 'free', limits);
      await refusalOf(admitAt(limiter, later(10), tenantId, 'free', limits));
      for (const name of Object.keys(counts)) delete counts[name];

      clock = later(20).getTime();
      expect(() => limiter.check(tenantId, 'free', limits)).toThrow(
        expect.objectContaining({ status: 429, code: 'rate_limited' }),
      );
      const refused = await refusalOf(admitAt(limiter, later(20), tenantId, 'free', limits));

      expect(refused.code).toBe('rate_limited');
      expect(counts).toEqual({});
    });

    it('costs one write per admitted request, and no read, once the day is rolled', async () => {
      const limiter = new Limiter({ store, now });
      const tenantId = newTenant();
      await admitAt(limiter, later(-2_000), tenantId, 'free', limits);
      // The day roll of the tenant's first request: refused by the missing item, read (dynalite
      // returns no ALL_OLD), the month's latest item looked up (none), the day seeded, admitted.
      expect(counts).toEqual({ UpdateItemCommand: 2, GetItemCommand: 1, QueryCommand: 1, PutItemCommand: 1 });
      resetCounts();
      for (let i = 0; i < 5; i += 1) await admitAt(limiter, later(i * 300), tenantId, 'free', limits);
      expect(counts).toEqual({ UpdateItemCommand: 5 });
    });

    it('starts each UTC month afresh', async () => {
      const limiter = new Limiter({ store, now });
      const tenantId = newTenant();
      const quota = requestLimitsOf({ planId: 'q', monthlyQuota: 1 });
      await admitAt(limiter, new Date('2026-05-31T23:59:59.999Z'), tenantId, 'q', quota);
      const refused = await refusalOf(
        admitAt(limiter, new Date('2026-05-31T23:59:59.999Z'), tenantId, 'q', quota),
      );
      expect(refused.headers['retry-after']).toBe('1');
      await admitAt(limiter, new Date('2026-06-01T00:00:00.000Z'), tenantId, 'q', quota);
      expect(await itemOf(tenantId, '2026-06', '01')).toMatchObject({ used: 1, 'r|01#add-mul#1#q': 1 });
      // The month before is not sealed: each month's chain of days is its own.
      expect((await itemOf(tenantId, '2026-05', '31'))?.sealed).toBe('--');
      expect(await usageOf(tenantId, '2026-06')).toMatchObject([{ day: '2026-06-01', requests: 1 }]);
    });
  });

  describe('the monthly quota', () => {
    const limits: RequestLimits | undefined = requestLimitsOf({
      planId: 'small',
      monthlyQuota: 2,
      rateLimit: { requestsPerSecond: 100, burst: 100 },
    });

    it('refuses with quota_exceeded and the seconds to the next month', async () => {
      const limiter = new Limiter({ store, now });
      const tenantId = newTenant();
      const first = await admitAt(limiter, AT, tenantId, 'small', limits);
      await admitAt(limiter, AT, tenantId, 'small', limits);
      expect(first.headers).toMatchObject({ 'x-quota-limit': '2', 'x-quota-remaining': '1' });

      // Another instance, which remembers nothing: its write is refused.
      const other = new Limiter({ store, now });
      const refused = await refusalOf(admitAt(other, AT, tenantId, 'small', limits));
      expect(refused).toMatchObject({ status: 429, code: 'quota_exceeded' });
      // 2026-05-20T12:00Z to 2026-06-01T00:00Z.
      expect(refused.headers).toMatchObject({
        'retry-after': String(11.5 * 86_400),
        'x-ratelimit-limit': '2',
        'x-ratelimit-remaining': '0',
        'x-quota-remaining': '0',
      });
      expect(await usageOf(tenantId)).toMatchObject([{ requests: 2 }]);
    });

    it('refuses without any write while the remembered `used` is at the quota', async () => {
      const limiter = new Limiter({ store, now });
      const tenantId = newTenant();
      if (limits === undefined) throw new Error('no limits');
      await admitAt(limiter, AT, tenantId, 'small', limits);
      await admitAt(limiter, later(1), tenantId, 'small', limits);
      for (const name of Object.keys(counts)) delete counts[name];

      expect(() => limiter.check(tenantId, 'small', limits)).toThrow(
        expect.objectContaining({ status: 429, code: 'quota_exceeded' }),
      );
      expect(counts).toEqual({});
    });

    it('refuses everything under a quota of 0 without any I/O', async () => {
      const limiter = new Limiter({ store, now });
      expect(() => limiter.check(newTenant(), 'none', { monthlyQuota: 0 })).toThrow(
        expect.objectContaining({ code: 'quota_exceeded' }),
      );
      const refused = await refusalOf(admitAt(limiter, AT, newTenant(), 'none', { monthlyQuota: 0 }));
      expect(refused.code).toBe('quota_exceeded');
      expect(counts).toEqual({});
    });
  });

  describe('a day item too large for more counters', () => {
    /** Fills the day-20 item up to `room` bytes short of DynamoDB's 400 KB (dynalite enforces the same limit). */
    async function fillUp(tenantId: string, room: number): Promise<void> {
      const { size } = await sizeOf(tenantId, '2026-05', '20');
      await createDocumentClient({ client: dynamo.client }).send(
        new UpdateCommand({
          TableName: dynamo.tableName,
          Key: dayItemKey(tenantId, '2026-05', '20'),
          UpdateExpression: 'SET fill = :fill',
          ExpressionAttributeValues: { ':fill': 'x'.repeat(400 * 1024 - size - room - 'fill'.length) },
        }),
      );
    }

    it('falls back to the admission alone for the rest of that day (the usage then goes to a usage row), and still enforces the limits', async () => {
      const tenantId = newTenant();
      const limiter = new Limiter({ store, now });
      const limits = requestLimitsOf({ planId: 'q', monthlyQuota: 4 });
      await admitAt(limiter, AT, tenantId, 'q', limits);
      // Room for the admission's token (`op`), not for the counters of a new model (4
      // attributes of about 24 bytes).
      await fillUp(tenantId, 40);
      const step: UsageEvent = { ...usageAt(tenantId, later(1), 'q'), modelName: 'orientation' };

      const fallback = await admitAt(limiter, later(1), tenantId, 'q', limits, [step]);
      resetCounts();
      await admitAt(limiter, later(2), tenantId, 'q', limits);
      // Remembered: the day's item is full, so the next admission goes straight to the fallback.
      expect(counts).toEqual({ UpdateItemCommand: 1 });
      // The next day has an item of its own: counted again.
      const nextDay = await admitAt(limiter, new Date('2026-05-21T09:00:00Z'), tenantId, 'q', limits);
      const refused = await refusalOf(
        admitAt(limiter, new Date('2026-05-21T09:00:01Z'), tenantId, 'q', limits),
      );

      expect(fallback).toEqual({
        usage: 'not-counted',
        headers: expect.objectContaining({ 'x-quota-limit': '4', 'x-quota-remaining': '2' }),
      });
      expect(nextDay).toEqual({
        usage: 'counted',
        headers: expect.objectContaining({ 'x-quota-remaining': '0' }),
      });
      expect(refused.code).toBe('quota_exceeded');
      const item = await itemOf(tenantId);
      expect(item?.used).toBe(3);
      expect(Object.keys(item ?? {}).filter((name) => name.includes('orientation'))).toEqual([]);
      expect(await itemOf(tenantId, '2026-05', '21')).toMatchObject({ used: 4, 'r|21#add-mul#1#q': 1 });
    });

    it('replays a spilled write to usage rows of its writer and number instead, exactly once', async () => {
      const tenantId = newTenant();
      const limiter = new Limiter({ store, now });
      await admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 });
      await fillUp(tenantId, 40);
      const step: UsageEvent = {
        ...usageAt(tenantId, later(1), 'q'),
        modelName: 'orientation',
        outputBytes: 0,
      };
      const write = store.open(usageAt(tenantId, later(1), 'q'), [step]);
      store.close(write, false);

      await usage.apply(write);
      await usage.apply(write);

      const rows = await usageOf(tenantId);
      expect(rows.map((row) => [row.modelName, row.requests]).sort()).toEqual([
        ['add-mul', 2],
        ['orientation', 1],
      ]);
      // The quota unit of such a write is not counted: the day item could not take it.
      expect((await itemOf(tenantId))?.used).toBe(1);
    });
  });

  describe('the day roll', () => {
    const quota = (monthlyQuota: number) => requestLimitsOf({ planId: 'q', monthlyQuota });

    it("seals the day's item at its first request of the next day, and carries used and tat to the new item", async () => {
      const tenantId = newTenant();
      const limiter = new Limiter({ store, now });
      const limits = requestLimitsOf({
        planId: 'r',
        monthlyQuota: 100,
        rateLimit: { requestsPerSecond: 1, burst: 3 },
      });
      const lateEvening = new Date('2026-05-20T23:59:59.900Z');
      for (let i = 0; i < 3; i += 1) await admitAt(limiter, lateEvening, tenantId, 'r', limits);
      resetCounts();

      // Another instance, which remembers nothing, just after midnight: the burst spent at
      // 23:59:59.9 (tat 00:00:02.9) is still spent.
      const refused = await refusalOf(
        admitAt(new Limiter({ store, now }), new Date('2026-05-21T00:00:00.500Z'), tenantId, 'r', limits),
      );
      const admitted = await admitAt(limiter, new Date('2026-05-21T00:00:01.000Z'), tenantId, 'r', limits);

      expect(refused.code).toBe('rate_limited');
      expect(counts).toMatchObject({ QueryCommand: 1, PutItemCommand: 1 });
      expect(admitted.headers).toMatchObject({ 'x-quota-remaining': '96', 'x-ratelimit-remaining': '0' });
      expect(await itemOf(tenantId, '2026-05', '20')).toMatchObject({
        used: 3,
        sealed: '21',
        'r|20#add-mul#1#r': 3,
      });
      const next = await itemOf(tenantId, '2026-05', '21');
      expect(next).toMatchObject({
        used: 4,
        tat: Date.parse('2026-05-21T00:00:03.900Z') * 1000,
        'r|21#add-mul#1#r': 1,
      });
      expect(Object.keys(next ?? {}).filter((name) => name.startsWith('r|'))).toEqual(['r|21#add-mul#1#r']);
      expect(await usageOf(tenantId)).toMatchObject([
        { day: '2026-05-20', requests: 3 },
        { day: '2026-05-21', requests: 1 },
      ]);
    });

    it('lets exactly one of concurrent first requests of a day seed it, and keeps used exact', async () => {
      const tenantId = newTenant();
      const limiters = [
        new Limiter({ store, now }),
        new Limiter({ store: storeOn(dynamo.createClient({ maxAttempts: 1 })), now }),
      ];
      for (let i = 0; i < 20; i += 1) await admitAt(limiters[0], later(i), tenantId, 'q', quota(30));
      const morning = new Date('2026-05-21T08:00:00Z');

      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => admitAt(limiters[i % 2], morning, tenantId, 'q', quota(30))),
      );

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(10);
      expect(await itemOf(tenantId, '2026-05', '20')).toMatchObject({ used: 20, sealed: '21' });
      expect(await itemOf(tenantId, '2026-05', '21')).toMatchObject({ used: 30, 'r|21#add-mul#1#q': 10 });
      expect((await usageOf(tenantId)).map((row) => [row.day, row.requests])).toEqual([
        ['2026-05-20', 20],
        ['2026-05-21', 10],
      ]);
    });

    it('moves a write refused by a sealed item (a clock behind) on to the day it was carried to', async () => {
      const tenantId = newTenant();
      const ahead = new Limiter({ store, now });
      const behind = new Limiter({ store: storeOn(dynamo.createClient({ maxAttempts: 1 })), now });
      await admitAt(ahead, AT, tenantId, 'q', quota(10));
      await admitAt(ahead, new Date('2026-05-21T00:00:00.100Z'), tenantId, 'q', quota(10));

      // Received and written at 23:59:59.950 by its own clock, after the day-20 item was sealed.
      const late = await admitAt(behind, new Date('2026-05-20T23:59:59.950Z'), tenantId, 'q', quota(10));

      expect(late).toEqual({
        usage: 'counted',
        headers: expect.objectContaining({ 'x-quota-remaining': '7' }),
      });
      expect(await itemOf(tenantId, '2026-05', '20')).toMatchObject({ used: 1, 'r|20#add-mul#1#q': 1 });
      // Counted in the day-21 item, under the day it arrived.
      expect(await itemOf(tenantId, '2026-05', '21')).toMatchObject({
        used: 3,
        'r|20#add-mul#1#q': 1,
        'r|21#add-mul#1#q': 1,
      });
      expect((await usageOf(tenantId)).map((row) => [row.day, row.requests])).toEqual([
        ['2026-05-20', 2],
        ['2026-05-21', 1],
      ]);
    });

    it('finishes a roll interrupted between the seal and the seed', async () => {
      const tenantId = newTenant();
      const limiter = new Limiter({ store, now });
      await admitAt(limiter, AT, tenantId, 'q', quota(10));
      // An instance sealed day 20 for day 22, and stopped before seeding it.
      await createDocumentClient({ client: dynamo.client }).send(
        new UpdateCommand({
          TableName: dynamo.tableName,
          Key: dayItemKey(tenantId, '2026-05', '20'),
          UpdateExpression: 'SET sealed = :day',
          ExpressionAttributeValues: { ':day': '22' },
        }),
      );

      const admitted = await admitAt(
        new Limiter({ store, now }),
        new Date('2026-05-21T10:00:00Z'),
        tenantId,
        'q',
        quota(10),
      );

      expect(admitted.headers['x-quota-remaining']).toBe('8');
      expect(await itemOf(tenantId, '2026-05', '21')).toBeUndefined();
      expect(await itemOf(tenantId, '2026-05', '22')).toMatchObject({ used: 2, 'r|21#add-mul#1#q': 1 });
    });

    it('admits exactly Q of 3Q concurrent requests from two instances across midnight, and bills exactly Q', async () => {
      const tenantId = newTenant();
      const limiters = [
        new Limiter({ store, now }),
        new Limiter({ store: storeOn(dynamo.createClient({ maxAttempts: 1 })), now }),
      ];
      await admitAt(limiters[0], new Date('2026-05-20T23:00:00Z'), tenantId, 'q', quota(25));
      const midnight = Date.parse('2026-05-21T00:00:00Z');

      const results = await Promise.allSettled(
        Array.from({ length: 72 }, (_, i) =>
          admitAt(limiters[i % 2], new Date(midnight - 36 + i), tenantId, 'q', quota(25)),
        ),
      );

      const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(24);
      expect(
        refused.every((error) => error instanceof InfergateError && error.code === 'quota_exceeded'),
      ).toBe(true);
      const day20 = await itemOf(tenantId, '2026-05', '20');
      const day21 = await itemOf(tenantId, '2026-05', '21');
      expect(day20?.sealed).toBe('21');
      expect(day21?.used).toBe(25);
      const rows = await usageOf(tenantId);
      expect(rows.reduce((sum, row) => sum + row.requests, 0)).toBe(25);
      expect(rows.reduce((sum, row) => sum + row.inputBytes, 0)).toBe(250);
    });

    it("keeps a late day's item small: it holds only that day's counters and writers", async () => {
      const tenantId = newTenant();
      const limiter = new Limiter({ store, now });
      const limits = requestLimitsOf({
        planId: 'q',
        monthlyQuota: 1_000,
        rateLimit: { requestsPerSecond: 10, burst: 10 },
      });
      if (limits === undefined) throw new Error('no limits');
      const models = ['add-mul', 'orientation', 'direction'];
      for (let day = 1; day <= 30; day += 1) {
        for (const [index, model] of models.entries()) {
          const at = new Date(Date.UTC(2026, 4, day, 12, 0, index));
          clock = at.getTime();
          await limiter.admit(tenantId, 'q', limits, usageAt(tenantId, at, 'q', 10, model), []);
        }
      }

      const late = await sizeOf(tenantId, '2026-05', '30');
      const counters = late.names.filter((name) => /^[rcio]\|/.test(name));

      expect(counters).toHaveLength(12);
      expect(counters.every((name) => name.slice(2).startsWith('30#'))).toBe(true);
      expect(late.names.filter((name) => name.startsWith('w|'))).toHaveLength(1);
      // Under 1 KB: one write capacity unit per admission, on day 30 as on day 1.
      expect(late.size).toBeLessThan(1024);
      // As small as the first day's (424 bytes at dynalite's measure, for a tenant id of 9 characters).
      expect(Math.abs(late.size - (await sizeOf(tenantId, '2026-05', '01')).size)).toBeLessThan(16);
      expect((await itemOf(tenantId, '2026-05', '30'))?.used).toBe(90);
      expect(await usageOf(tenantId)).toHaveLength(90);
    });

    it('replays a spilled write to the sealed item it was sent to: billed there once, its quota unit not carried', async () => {
      const tenantId = newTenant();
      const limiter = new Limiter({ store, now });
      await admitAt(limiter, AT, tenantId, 'q', quota(10));
      const write = { ...store.open(usageAt(tenantId, later(1), 'q'), []), day: '2026-05-20' };
      store.close(write, false);
      await admitAt(limiter, new Date('2026-05-21T08:00:00Z'), tenantId, 'q', quota(10));

      await usage.apply(write);
      await usage.apply(write);

      expect(await itemOf(tenantId, '2026-05', '20')).toMatchObject({
        used: 2,
        sealed: '21',
        'r|20#add-mul#1#q': 2,
      });
      expect((await itemOf(tenantId, '2026-05', '21'))?.used).toBe(2);
      expect((await usageOf(tenantId)).map((row) => [row.day, row.requests])).toEqual([
        ['2026-05-20', 2],
        ['2026-05-21', 1],
      ]);
    });

    it('replays a spilled write whose day item was never made to usage rows, exactly once', async () => {
      const tenantId = newTenant();
      const write = { ...store.open(usageAt(tenantId, AT, 'q'), []), day: '2026-05-20' };
      store.close(write, false);

      await usage.apply(write);
      await usage.apply(write);

      expect(await itemOf(tenantId)).toBeUndefined();
      expect(await usageOf(tenantId)).toMatchObject([{ day: '2026-05-20', requests: 1 }]);
    });
  });

  describe('failures', () => {
    async function throughProxy() {
      const proxy = await startDynamoFaultProxy(dynamo.endpoint);
      const proxied = storeOn(new DynamoDBClient({ ...LOCAL_AWS, endpoint: proxy.url, maxAttempts: 1 }));
      const updates = () => proxy.requests.filter((seen) => seen.operation === 'UpdateItem').length;
      return { proxy, limiter: new Limiter({ store: proxied, now }), updates };
    }

    /** A new tenant whose day-20 item exists (its first request of the day admitted). */
    async function rolled(limiter: Limiter): Promise<string> {
      const tenantId = newTenant();
      await admitAt(limiter, later(-1), tenantId, 'q', { monthlyQuota: 10 });
      return tenantId;
    }

    it('retries a throttled write, which was not applied, and counts it once', async () => {
      const { proxy, limiter, updates } = await throughProxy();
      try {
        const tenantId = await rolled(limiter);
        const before = updates();
        proxy.setFaults(nextUpdates(THROTTLED));
        expect((await admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 })).usage).toBe('counted');
        expect(updates() - before).toBe(2);
        expect((await itemOf(tenantId))?.used).toBe(2);
        expect(await usageOf(tenantId)).toMatchObject([{ requests: 2 }]);
      } finally {
        await proxy.close();
      }
    });

    it('retries a write whose answer was lost so that it counts once, and admits the request', async () => {
      const { proxy, limiter, updates } = await throughProxy();
      try {
        const tenantId = await rolled(limiter);
        const before = updates();
        proxy.setFaults(nextUpdates('drop-answer'));
        const admitted = await admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 });
        // Applied by the first attempt; the retry, refused by the writer's number, finds it was its own.
        expect(updates() - before).toBe(2);
        expect(admitted.usage).toBe('counted');
        expect(admitted.headers['x-quota-remaining']).toBe('8');
        expect((await itemOf(tenantId))?.used).toBe(2);
        expect(await usageOf(tenantId)).toMatchObject([{ requests: 2, inputBytes: 20 }]);
      } finally {
        await proxy.close();
      }
    });

    it('leaves the admission unknown when no attempt can tell whether the write was applied', async () => {
      const { proxy, limiter, updates } = await throughProxy();
      try {
        const tenantId = await rolled(limiter);
        const before = updates();
        proxy.setFaults(nextUpdates('drop-answer', 2));
        const admitted = await admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 });
        expect(admitted).toMatchObject({
          usage: 'unknown',
          headers: {},
          write: { target: 'month', day: '2026-05-20', event: { tenantId } },
        });
        // The first attempt and one retry to find out; the first applied, the second refused.
        expect(updates() - before).toBe(2);
        expect((await itemOf(tenantId))?.used).toBe(2);
      } finally {
        await proxy.close();
      }
    });

    it('answers 503 limits_unavailable when every attempt was throttled: nothing applied', async () => {
      const { proxy, limiter, updates } = await throughProxy();
      try {
        const tenantId = newTenant();
        proxy.setFaults(nextUpdates(THROTTLED, 10));
        const error = await refusalOf(admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 }));
        expect(error).toMatchObject({
          status: 503,
          code: 'limits_unavailable',
          headers: { 'retry-after': '1' },
        });
        expect(updates()).toBe(4);
        expect(await itemOf(tenantId)).toBeUndefined();
      } finally {
        await proxy.close();
      }
    });

    it('fails closed when the table cannot be reached: 503 limits_unavailable', async () => {
      const proxy = await startDynamoFaultProxy(dynamo.endpoint);
      await proxy.close();
      const limiter = new Limiter({
        store: storeOn(new DynamoDBClient({ ...LOCAL_AWS, endpoint: proxy.url, maxAttempts: 1 })),
        now,
      });
      const error = await refusalOf(admitAt(limiter, AT, newTenant(), 'q', { monthlyQuota: 10 }));
      expect(error).toMatchObject({ status: 503, code: 'limits_unavailable' });
    });

    it('refuses a client that retries on its own', async () => {
      const retrying = storeOn(dynamo.createClient({ maxAttempts: 3 }));
      await expect(retrying.read({ tenantId: 't', month: '2026-05' })).rejects.toThrow(
        'DynamoLimitStore needs a client that does not retry (maxAttempts: 1), got maxAttempts: 3',
      );
    });
  });
});
