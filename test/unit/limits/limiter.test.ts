import { InfergateError } from '../../../functions/core/errors';
import type {
  AdmitOutcome,
  LimitKey,
  LimitStore,
  ReserveOutcome,
} from '../../../functions/core/limits/limit-store';
import { Limiter } from '../../../functions/core/limits/limiter';
import { requestLimitsOf, type LimitState } from '../../../functions/core/limits/policy';
import type { UsageEvent } from '../../../functions/core/metering/types';
import type { UsageWrite } from '../../../functions/core/metering/usage-write';

const EVENT: UsageEvent = {
  tenantId: 't_1',
  keyId: '0123456789abcdef',
  modelName: 'm',
  version: '1',
  plan: 'pro',
  at: new Date('2026-11-29T10:00:00Z'),
  error: false,
  computeMs: 1,
  inputBytes: 1,
  outputBytes: 1,
};

/**
 * A record that every other request of the tenant keeps winning: each write is
 * refused, and each read shows a state that would admit one more request.
 */
function contendedStore(): LimitStore & { writes: number; closed: boolean[] } {
  const store = {
    writes: 0,
    closed: [] as boolean[],
    open: (event: UsageEvent): UsageWrite => ({
      event,
      writer: 'w.0',
      sequence: 1,
      target: 'month',
      steps: [],
    }),
    close: (_write: UsageWrite, applied: boolean) => {
      store.closed.push(applied);
    },
    admit: async (): Promise<AdmitOutcome> => {
      store.writes += 1;
      return { outcome: 'refused' };
    },
    reserve: async (): Promise<ReserveOutcome> => {
      store.writes += 1;
      return { applied: false };
    },
    read: async (_key: LimitKey): Promise<LimitState> => ({ used: 1 }),
  };
  return store;
}

async function errorOf(promise: Promise<unknown>): Promise<InfergateError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InfergateError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('Limiter under contention', () => {
  it('answers 429 rate_limited with Retry-After when concurrent requests of the tenant win every attempt', async () => {
    const store = contendedStore();
    const limiter = new Limiter({ store, maxWrites: 4, now: () => Date.parse('2026-11-29T10:00:00Z') });
    const limits = requestLimitsOf({ planId: 'pro', rateLimit: { requestsPerSecond: 50, burst: 100 } });

    if (limits === undefined) throw new Error('no limits');

    const error = await errorOf(limiter.admit('t_1', 'pro', limits, EVENT, []));

    expect(error).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(error.headers['retry-after']).toBe('1');
    expect(error.message).toMatch(/concurrent requests/);
    expect(store.writes).toBe(4);
    // Refused every time: nothing applied, the write is closed as such.
    expect(store.closed).toEqual([false]);
  });

  it('stays 503 limits_unavailable without a rate limit (a quota refusal is always exact)', async () => {
    const limiter = new Limiter({ store: contendedStore(), maxWrites: 3 });
    const limits = requestLimitsOf({ planId: 'quota-only', monthlyQuota: 10 });
    if (limits === undefined) throw new Error('no limits');

    const error = await errorOf(limiter.admit('t_1', 'quota-only', limits, EVENT, []));

    expect(error).toMatchObject({ status: 503, code: 'limits_unavailable' });
  });
});
