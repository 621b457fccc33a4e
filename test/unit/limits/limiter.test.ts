import { InfergateError } from '../../../functions/core/errors';
import type { LimitKey, LimitStore, ReserveOutcome } from '../../../functions/core/limits/limit-store';
import { Limiter } from '../../../functions/core/limits/limiter';
import { requestLimitsOf, type LimitState } from '../../../functions/core/limits/policy';

/**
 * A record that every other request of the tenant keeps winning: each reservation is
 * refused, and each read shows a state that would admit one more request.
 */
function contendedStore(): LimitStore & { writes: number } {
  const store = {
    writes: 0,
    reserve: async (): Promise<ReserveOutcome> => {
      store.writes += 1;
      return { applied: false };
    },
    read: async (_key: LimitKey): Promise<LimitState> => ({ used: 1 }),
    release: async () => undefined,
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

    const error = await errorOf(limiter.admit('t_1', 'pro', limits));

    expect(error).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(error.headers['retry-after']).toBe('1');
    expect(error.message).toMatch(/concurrent requests/);
    expect(store.writes).toBe(4);
  });

  it('stays 503 limits_unavailable without a rate limit (a quota refusal is always exact)', async () => {
    const limiter = new Limiter({ store: contendedStore(), maxWrites: 3 });
    const limits = requestLimitsOf({ planId: 'quota-only', monthlyQuota: 10 });

    const error = await errorOf(limiter.admit('t_1', 'quota-only', limits));

    expect(error).toMatchObject({ status: 503, code: 'limits_unavailable' });
  });
});
