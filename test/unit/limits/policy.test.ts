import {
  judge,
  limitHeaders,
  monthOfMicros,
  requestLimitsOf,
  secondsToNextMonth,
  type RequestLimits,
} from '../../../functions/core/limits/policy';

const us = (iso: string) => Date.parse(iso) * 1000;
const NOW = us('2026-03-31T23:59:50.000Z');
/** 4 per second (250 ms apart), bursts of 3, 10 a month. */
const LIMITS: RequestLimits = {
  monthlyQuota: 10,
  rate: { requestsPerSecond: 4, burst: 3, intervalUs: 250_000 },
};

describe('requestLimitsOf', () => {
  it('has no limits for a plan that sets none, so the limiter does no I/O', () => {
    expect(requestLimitsOf({ planId: 'p' })).toBeUndefined();
  });

  it('turns a rate into a whole number of microseconds between requests', () => {
    expect(requestLimitsOf({ planId: 'p', rateLimit: { requestsPerSecond: 3, burst: 5 } })).toEqual({
      rate: { requestsPerSecond: 3, burst: 5, intervalUs: 333_333 },
    });
    expect(requestLimitsOf({ planId: 'p', monthlyQuota: 0 })).toEqual({ monthlyQuota: 0 });
  });

  it.each([
    [{ monthlyQuota: -1 }, /monthlyQuota must be an integer >= 0, got -1/],
    [{ monthlyQuota: 1.5 }, /monthlyQuota/],
    [{ rateLimit: { requestsPerSecond: 0, burst: 1 } }, /requestsPerSecond must be in \(0, 1000000\], got 0/],
    [{ rateLimit: { requestsPerSecond: 1, burst: 0 } }, /burst must be an integer >= 1, got 0/],
  ])('refuses an unusable plan %j, naming the field', (limits, message) => {
    expect(() => requestLimitsOf({ planId: 'odd', ...limits })).toThrow(message);
  });
});

describe('judge', () => {
  it('admits a first request and starts the rate afresh', () => {
    expect(judge(LIMITS, {}, NOW)).toEqual({ admitted: true, variant: 'restart' });
    expect(judge(LIMITS, { used: 3, tat: NOW - 1 }, NOW)).toEqual({ admitted: true, variant: 'restart' });
  });

  it('continues from a theoretical arrival time in the future while the burst lasts', () => {
    // After 2 requests at once, tat = now + 2 x 250 ms: the third still fits the burst of 3.
    expect(judge(LIMITS, { tat: NOW + 500_000 }, NOW)).toEqual({ admitted: true, variant: 'continue' });
  });

  it('refuses past the burst, with the wait until the next request fits', () => {
    // After 3 at once, tat = now + 750 ms; the next fits when tat <= now + 500 ms, in 250 ms: 1 s rounded up.
    expect(judge(LIMITS, { tat: NOW + 750_000 }, NOW)).toEqual({
      admitted: false,
      reason: 'rate_limited',
      retryAfterSeconds: 1,
    });
    expect(judge(LIMITS, { tat: NOW + 3_500_001 }, NOW)).toMatchObject({ retryAfterSeconds: 4 });
  });

  it('refuses a spent quota until the next UTC month, before looking at the rate', () => {
    expect(judge(LIMITS, { used: 10, tat: NOW + 9_000_000 }, NOW)).toEqual({
      admitted: false,
      reason: 'quota_exceeded',
      retryAfterSeconds: 10,
    });
    expect(judge({ monthlyQuota: 0 }, {}, NOW)).toMatchObject({ admitted: false, reason: 'quota_exceeded' });
  });
});

describe('months', () => {
  it('are UTC months, and the next one starts at midnight UTC on the 1st', () => {
    expect(monthOfMicros(NOW)).toBe('2026-03');
    expect(secondsToNextMonth(NOW)).toBe(10);
    expect(secondsToNextMonth(us('2026-12-31T23:00:00.000Z'))).toBe(3600);
    expect(monthOfMicros(us('2026-04-01T00:00:00.000Z'))).toBe('2026-04');
  });
});

describe('limitHeaders', () => {
  it('shows the limit closest to stopping the caller, and the quota apart', () => {
    // One request made: 2 of the burst left, 9 of the quota.
    expect(limitHeaders(LIMITS, { used: 1, tat: NOW + 250_000 }, NOW)).toEqual({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '2',
      'x-ratelimit-reset': '1',
      'x-quota-limit': '10',
      'x-quota-remaining': '9',
      'x-quota-reset': '10',
    });
    // Quota nearly spent: it is the closer limit.
    expect(limitHeaders(LIMITS, { used: 9, tat: NOW + 250_000 }, NOW)).toMatchObject({
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': '10',
    });
  });

  it('says 0 remaining when refused, and never more than the burst', () => {
    expect(limitHeaders({ rate: LIMITS.rate }, { tat: NOW + 900_000 }, NOW)).toEqual({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '1',
    });
    expect(limitHeaders({ rate: LIMITS.rate }, { tat: NOW - 60_000_000 }, NOW)).toMatchObject({
      'x-ratelimit-remaining': '3',
      'x-ratelimit-reset': '0',
    });
  });
});
