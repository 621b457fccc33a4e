import { TtlCache } from '../cache/ttl-cache';
import { UnavailableError } from '../errors';
import { TooManyRequestsError } from './errors';
import type { LimitKey, LimitStore } from './limit-store';
import {
  judge,
  limitHeaders,
  monthOfMicros,
  type LimitState,
  type RateVariant,
  type RequestLimits,
  type Verdict,
} from './policy';

export interface LimiterOptions {
  readonly store: LimitStore;
  /**
   * Conditional writes one admission may make before it gives up with 503
   * `limits_unavailable` (only reached when concurrent requests keep moving the record).
   * @default 6
   */
  readonly maxWrites?: number;
  /**
   * Tenant months whose last seen state this instance remembers (to pick the right write
   * first, and to refuse a request over the rate limit without a write).
   * @default 10_000
   */
  readonly maxRemembered?: number;
  /**
   * The clock, in epoch milliseconds, read at each write: a request's place in the rate is
   * when its reservation reaches the table, not when it arrived (it may have waited).
   * @default Date.now
   */
  readonly now?: () => number;
}

/** An admitted request. */
export interface Admission {
  /** Headers of the tenant's standing after this request (none when the plan sets no limits). */
  readonly headers: Readonly<Record<string, string>>;
  /** The unit reserved for this request, to give back if it fails; absent when nothing was reserved. */
  readonly reservation?: LimitKey;
}

const UNLIMITED: Admission = { headers: {} };
/** Remembered states are hints; a day is far longer than any use of one. */
const REMEMBER_MS = 24 * 3600 * 1000;

/**
 * Enforces a plan's monthly quota and rate limit across every instance of the function,
 * with one conditional write per admitted request on the tenant's record for the month
 * (see `LimitStore`): the record admits exactly as many requests as its limits allow,
 * however many instances race for it.
 *
 * The write cannot compute `max(tat, now)`, so it comes in two variants (see
 * `RateVariant`); the limiter tries the one the last seen state calls for, and on a
 * refused condition looks at the state that refused it (returned with the refusal by
 * DynamoDB, or read once when the store cannot return it) to answer 429 with the right
 * code and `Retry-After`, or to retry with the other variant.
 *
 * A request whose rate limit is provably spent is refused without any write: `tat` only
 * ever grows within a month, so a remembered `tat` past the limit stays past it.
 *
 * @example
 * const limiter = new Limiter({ store: new DynamoLimitStore({ tableName, client }) });
 * const admission = await limiter.admit(tenantId, 'free', requestLimitsOf(plan));
 * try { serve(); } catch (error) { if (admission.reservation) await limiter.release(admission.reservation); throw error; }
 */
export class Limiter {
  private readonly store: LimitStore;
  private readonly maxWrites: number;
  private readonly seen: TtlCache<string, LimitState>;
  private readonly now: () => number;

  public constructor(options: LimiterOptions) {
    const maxWrites = options.maxWrites ?? 6;
    if (!(Number.isInteger(maxWrites) && maxWrites >= 2)) {
      throw new RangeError(`options.maxWrites must be an integer >= 2, got ${maxWrites}`);
    }
    this.store = options.store;
    this.maxWrites = maxWrites;
    this.now = options.now ?? Date.now;
    this.seen = new TtlCache({ ttlMs: REMEMBER_MS, maxEntries: options.maxRemembered ?? 10_000 });
  }

  /**
   * Admits one request of the tenant now under `limits` (undefined: no limits, no I/O), or
   * throws `TooManyRequestsError` (429 `rate_limited` / `quota_exceeded`). Store failures
   * propagate as 503: the request is not served when its reservation is unknown.
   */
  public async admit(
    tenantId: string,
    planId: string,
    limits: RequestLimits | undefined,
  ): Promise<Admission> {
    if (limits === undefined) return UNLIMITED;
    let nowUs = this.now() * 1000;
    const key: LimitKey = { tenantId, month: monthOfMicros(nowUs) };
    const memo = `${tenantId}\u0000${key.month}`;
    const known = this.seen.get(memo);
    // Exact without I/O: a quota of 0, or a remembered `tat` past the rate limit (`tat`
    // only grows within a month, so the record's is at least as far).
    const early = judge(limits, { tat: known?.tat }, nowUs);
    if (!early.admitted) throw refusal(planId, limits, { ...known, used: known?.used ?? 0 }, nowUs, early);
    let variant: RateVariant = known?.tat !== undefined && known.tat > nowUs ? 'continue' : 'restart';
    let blindRefusals = 0;
    for (let write = 0; write < this.maxWrites; write += 1) {
      if (write > 0) nowUs = Math.max(nowUs, this.now() * 1000);
      const outcome = await this.store.reserve(key, limits, nowUs, variant);
      if (outcome.applied) {
        this.seen.set(memo, outcome.state);
        return { headers: limitHeaders(limits, outcome.state, nowUs), reservation: key };
      }
      let state = outcome.state;
      if (state === undefined) {
        // Refused without saying why: the other variant may be the right one, and only
        // when both are refused is the state worth a read.
        blindRefusals += 1;
        if (limits.rate !== undefined && blindRefusals < 2) {
          variant = variant === 'continue' ? 'restart' : 'continue';
          continue;
        }
        state = await this.store.read(key);
      }
      blindRefusals = 0;
      // Judged at the time it is now: `tat` only grows, so a refusal is exact however late,
      // and a write that waited in a queue is not refused for the time it waited.
      nowUs = Math.max(nowUs, this.now() * 1000);
      this.seen.set(memo, state);
      const verdict = judge(limits, state, nowUs);
      if (!verdict.admitted) throw refusal(planId, limits, state, nowUs, verdict);
      // Admissible now: another request moved the record between our write and its refusal.
      variant = verdict.variant;
    }
    // Every attempt lost to another request of the same tenant that was admitted meanwhile:
    // with a rate limit, those requests are taking its last tokens (the record only moves
    // when one is admitted), so this one is answered as over the rate, to retry shortly.
    if (limits.rate !== undefined) {
      const state = this.seen.get(memo) ?? { used: 0 };
      const headers = { ...limitHeaders(limits, state, nowUs), 'retry-after': '1' };
      throw new TooManyRequestsError(
        'rate_limited',
        `Rate limit of plan "${planId}" reached: ${this.maxWrites} attempts in a row lost to concurrent requests of the same tenant (${limits.rate.requestsPerSecond} requests per second, bursts of ${limits.rate.burst}); retry in 1 s`,
        headers,
      );
    }
    throw new UnavailableError(
      'limits_unavailable',
      `The limits of tenant "${tenantId}" changed under ${this.maxWrites} attempts in a row; retry`,
    );
  }

  /** Gives a reserved unit back after a failed request. */
  public async release(reservation: LimitKey): Promise<void> {
    await this.store.release(reservation);
  }
}

function refusal(
  planId: string,
  limits: RequestLimits,
  state: LimitState,
  nowUs: number,
  verdict: Extract<Verdict, { admitted: false }>,
): TooManyRequestsError {
  const headers = { ...limitHeaders(limits, state, nowUs), 'retry-after': String(verdict.retryAfterSeconds) };
  if (verdict.reason === 'quota_exceeded') {
    return new TooManyRequestsError(
      'quota_exceeded',
      `The monthly quota of plan "${planId}" (${limits.monthlyQuota} requests) is used up; it renews at the start of the next UTC month, in ${verdict.retryAfterSeconds} s`,
      headers,
    );
  }
  const rate = limits.rate;
  return new TooManyRequestsError(
    'rate_limited',
    `Rate limit of plan "${planId}" exceeded (${rate?.requestsPerSecond} requests per second, bursts of ${rate?.burst}); retry in ${verdict.retryAfterSeconds} s`,
    headers,
  );
}
