import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDocumentClient } from '../../../functions/adapters/dynamodb';
import { DynamoLimitStore, LIMIT_KEY_PREFIX } from '../../../functions/adapters/dynamodb/limit-store';
import { InfergateError } from '../../../functions/core/errors';
import { Limiter } from '../../../functions/core/limits/limiter';
import { requestLimitsOf, type RequestLimits } from '../../../functions/core/limits/policy';
import { LOCAL_AWS, startDynalite, type LocalDynamo } from '../../support/dynalite';

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

type Fault = 'throttle' | 'lose-answer';

/**
 * A proxy in front of dynalite that counts the UpdateItem requests reaching it and, for the
 * next `count` of them, answers a throttling error without forwarding, or forwards and cuts
 * the connection instead of answering (applied by the table, the answer lost).
 */
async function startFaultProxy(target: string) {
  let next: Fault | undefined;
  let remaining = 0;
  let updates = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const isUpdate = String(incoming.headers['x-amz-target'] ?? '').endsWith('.UpdateItem');
      const fault = isUpdate ? next : undefined;
      if (isUpdate) {
        updates += 1;
        remaining -= 1;
        if (remaining <= 0) next = undefined;
      }
      if (fault === 'throttle') {
        outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        outgoing.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
            message: 'slow down',
          }),
        );
        return;
      }
      const forward = request(
        `${target}${incoming.url ?? '/'}`,
        { method: incoming.method, headers: incoming.headers },
        (response) => {
          const answer: Buffer[] = [];
          response.on('data', (chunk: Buffer) => answer.push(chunk));
          response.on('end', () => {
            if (fault === 'lose-answer') {
              outgoing.destroy();
              return;
            }
            outgoing.writeHead(response.statusCode ?? 500, response.headers);
            outgoing.end(Buffer.concat(answer));
          });
        },
      );
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    failNext: (fault: Fault, count = 1) => {
      next = fault;
      remaining = count;
    },
    updates: () => updates,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

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

/** The limiters' clock: each test sets the time a request comes at. */
let clock = AT.getTime();
const now = () => clock;

/** `limiter.admit` at `when` (read by the limiter before its first write, and after each). */
function admitAt(
  limiter: Limiter | undefined,
  when: Date,
  tenantId: string,
  planId: string,
  limits: RequestLimits | undefined,
) {
  if (limiter === undefined) throw new Error('no limiter');
  clock = when.getTime();
  return limiter.admit(tenantId, planId, limits);
}

describe('DynamoLimitStore and Limiter on dynalite', () => {
  let dynamo: LocalDynamo;
  let counts: Record<string, number>;
  let store: DynamoLimitStore;
  let tenantNumber = 0;
  const newTenant = () => `t_limit${(tenantNumber += 1)}`;

  const storeOn = (client: DynamoDBClient) =>
    new DynamoLimitStore({ tableName: dynamo.tableName, client: createDocumentClient({ client }) });
  const usedOf = async (tenantId: string, month = '2026-05') => {
    const output = await createDocumentClient({ client: dynamo.client }).send(
      new GetCommand({
        TableName: dynamo.tableName,
        Key: { pk: `${LIMIT_KEY_PREFIX}${tenantId}`, sk: month },
        ConsistentRead: true,
      }),
    );
    return output.Item;
  };

  beforeAll(async () => {
    dynamo = await startDynalite();
    const client = dynamo.createClient({ maxAttempts: 1 });
    counts = countCommands(client);
    store = storeOn(client);
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  beforeEach(() => {
    for (const name of Object.keys(counts)) delete counts[name];
  });

  describe('a reservation', () => {
    const limits = requestLimitsOf({
      planId: 'p',
      monthlyQuota: 2,
      rateLimit: { requestsPerSecond: 4, burst: 2 },
    });
    const nowUs = AT.getTime() * 1000;

    it('applies only with the variant whose condition the record meets, and returns the new state', async () => {
      const key = { tenantId: newTenant(), month: '2026-05' };
      if (limits === undefined) throw new Error('no limits');
      expect(await store.reserve(key, limits, nowUs, 'continue')).toEqual({ applied: false });
      expect(await store.reserve(key, limits, nowUs, 'restart')).toEqual({
        applied: true,
        state: { used: 1, tat: nowUs + 250_000 },
      });
      expect(await store.reserve(key, limits, nowUs, 'restart')).toEqual({ applied: false });
      expect(await store.reserve(key, limits, nowUs, 'continue')).toEqual({
        applied: true,
        state: { used: 2, tat: nowUs + 500_000 },
      });
      // Quota of 2 spent: refused whatever the variant and the time.
      expect(await store.reserve(key, limits, nowUs + 10_000_000, 'restart')).toEqual({ applied: false });
      expect(await store.read(key)).toEqual({ used: 2, tat: nowUs + 500_000 });
      expect(await usedOf(key.tenantId)).toMatchObject({
        entity: 'LIMIT',
        tenantId: key.tenantId,
        month: '2026-05',
        expiresAt: Date.UTC(2026, 5, 1 + 92) / 1000,
      });
    });

    it('gives a unit back, never below zero', async () => {
      const key = { tenantId: newTenant(), month: '2026-05' };
      if (limits === undefined) throw new Error('no limits');
      await store.reserve(key, limits, nowUs, 'restart');
      await store.release(key);
      await store.release(key);
      expect(await store.read(key)).toEqual({ used: 0, tat: nowUs + 250_000 });
      await store.release({ tenantId: newTenant(), month: '2026-05' });
      expect(await store.read({ tenantId: 'nobody', month: '2026-05' })).toEqual({});
    });
  });

  describe('exactness under concurrency', () => {
    it('admits exactly Q of 3Q concurrent requests from two instances sharing the table', async () => {
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
      expect((await usedOf(tenantId))?.used).toBe(25);
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
    });

    it('places a request that waited at the time its writes are sent, not the time it arrived', async () => {
      const tenantId = newTenant();
      const busy = new Limiter({ store, now });
      for (let i = 0; i < 3; i += 1) await admitAt(busy, later(5_000), tenantId, 'free', limits);
      // Arrived at AT, its reservation goes out 5.3 s later: one request fits again by then.
      const times = [AT.getTime(), AT.getTime() + 5_300];
      const waited = new Limiter({ store, now: () => times.shift() ?? AT.getTime() + 5_300 });

      const admitted = await waited.admit(tenantId, 'free', limits);

      expect(admitted.headers['x-ratelimit-remaining']).toBe('0');
    });

    it('refuses without any write while the remembered state proves the rate is spent', async () => {
      const limiter = new Limiter({ store, now });
      const tenantId = newTenant();
      for (let i = 0; i < 3; i += 1) await admitAt(limiter, AT, tenantId, 'free', limits);
      await refusalOf(admitAt(limiter, later(10), tenantId, 'free', limits));
      for (const name of Object.keys(counts)) delete counts[name];

      const refused = await refusalOf(admitAt(limiter, later(20), tenantId, 'free', limits));

      expect(refused.code).toBe('rate_limited');
      expect(counts).toEqual({});
    });

    it('costs one write per admitted request, and no read', async () => {
      const limiter = new Limiter({ store, now });
      const tenantId = newTenant();
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
      const admitted = await admitAt(limiter, new Date('2026-06-01T00:00:00.000Z'), tenantId, 'q', quota);
      expect(admitted.reservation).toEqual({ tenantId, month: '2026-06' });
    });
  });

  describe('the monthly quota', () => {
    it('refuses with quota_exceeded and the seconds to the next month, and counts a released unit again', async () => {
      const limits: RequestLimits | undefined = requestLimitsOf({
        planId: 'small',
        monthlyQuota: 2,
        rateLimit: { requestsPerSecond: 100, burst: 100 },
      });
      const limiter = new Limiter({ store, now });
      const tenantId = newTenant();
      const first = await admitAt(limiter, AT, tenantId, 'small', limits);
      await admitAt(limiter, AT, tenantId, 'small', limits);
      expect(first.headers).toMatchObject({ 'x-quota-limit': '2', 'x-quota-remaining': '1' });

      const refused = await refusalOf(admitAt(limiter, AT, tenantId, 'small', limits));
      expect(refused).toMatchObject({ status: 429, code: 'quota_exceeded' });
      // 2026-05-20T12:00Z to 2026-06-01T00:00Z.
      expect(refused.headers).toMatchObject({
        'retry-after': String(11.5 * 86_400),
        'x-ratelimit-limit': '2',
        'x-ratelimit-remaining': '0',
        'x-quota-remaining': '0',
      });

      if (first.reservation === undefined) throw new Error('no reservation');
      await limiter.release(first.reservation);
      expect((await admitAt(limiter, later(1), tenantId, 'small', limits)).headers['x-quota-remaining']).toBe(
        '0',
      );
    });

    it('refuses everything under a quota of 0 without any I/O, and does no I/O without limits', async () => {
      const limiter = new Limiter({ store, now });
      const refused = await refusalOf(admitAt(limiter, AT, newTenant(), 'none', { monthlyQuota: 0 }));
      expect(refused.code).toBe('quota_exceeded');
      expect(await admitAt(limiter, AT, newTenant(), 'enterprise', undefined)).toEqual({ headers: {} });
      expect(counts).toEqual({});
    });
  });

  describe('failures', () => {
    it('retries a throttled reservation, which was not applied, and counts it once', async () => {
      const proxy = await startFaultProxy(dynamo.endpoint);
      try {
        const limiter = new Limiter({
          store: storeOn(new DynamoDBClient({ ...LOCAL_AWS, endpoint: proxy.url, maxAttempts: 1 })),
          now,
        });
        const tenantId = newTenant();
        proxy.failNext('throttle');
        await admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 });
        expect(proxy.updates()).toBe(2);
        expect((await usedOf(tenantId))?.used).toBe(1);
      } finally {
        await proxy.close();
      }
    });

    it('retries a reservation whose answer was lost so that it counts once, and admits the request', async () => {
      const proxy = await startFaultProxy(dynamo.endpoint);
      try {
        const limiter = new Limiter({
          store: storeOn(new DynamoDBClient({ ...LOCAL_AWS, endpoint: proxy.url, maxAttempts: 1 })),
          now,
        });
        const tenantId = newTenant();
        proxy.failNext('lose-answer');
        const admitted = await admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 });
        // Applied by the first attempt; the retry, refused by `op = :token`, finds it was its own.
        expect(proxy.updates()).toBe(2);
        expect(admitted.headers['x-quota-remaining']).toBe('9');
        expect((await usedOf(tenantId))?.used).toBe(1);
      } finally {
        await proxy.close();
      }
    });

    it('answers 503 limits_unavailable when no attempt can tell whether the reservation was applied', async () => {
      const proxy = await startFaultProxy(dynamo.endpoint);
      try {
        const limiter = new Limiter({
          store: storeOn(new DynamoDBClient({ ...LOCAL_AWS, endpoint: proxy.url, maxAttempts: 1 })),
          now,
        });
        const tenantId = newTenant();
        proxy.failNext('lose-answer', 2);
        const error = await refusalOf(admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 }));
        expect(error).toMatchObject({
          status: 503,
          code: 'limits_unavailable',
          headers: { 'retry-after': '1' },
        });
        // The first attempt and one retry to find out; the first applied: one unit spent, nothing served.
        expect(proxy.updates()).toBe(2);
        expect((await usedOf(tenantId))?.used).toBe(1);
      } finally {
        await proxy.close();
      }
    });

    it('never sends a release again when its outcome is unknown', async () => {
      const proxy = await startFaultProxy(dynamo.endpoint);
      try {
        const limiter = new Limiter({
          store: storeOn(new DynamoDBClient({ ...LOCAL_AWS, endpoint: proxy.url, maxAttempts: 1 })),
          now,
        });
        const tenantId = newTenant();
        const first = await admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 });
        await admitAt(limiter, AT, tenantId, 'q', { monthlyQuota: 10 });
        if (first.reservation === undefined) throw new Error('no reservation');
        proxy.failNext('lose-answer');
        await expect(limiter.release(first.reservation)).rejects.toMatchObject({
          code: 'limits_unavailable',
        });
        expect(proxy.updates()).toBe(3);
        expect((await usedOf(tenantId))?.used).toBe(1);
      } finally {
        await proxy.close();
      }
    });

    it('fails closed when the table cannot be reached: 503 limits_unavailable, the request not served', async () => {
      const proxy = await startFaultProxy(dynamo.endpoint);
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
