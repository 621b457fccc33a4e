import { TtlCache } from '../cache/ttl-cache';
import { UnavailableError } from '../errors';
import { TooManyRequestsError } from './errors';
import type { UsageEvent } from '../metering/types';
import type { UsageWrite } from '../metering/usage-write';
import type { LimitKey, LimitStore } from './limit-store';
import {
  judge,
  limitHeaders,
  monthOfMicros,
  variantFor,
  type LimitState,
  type RateVariant,
  type RequestLimits,
  type Verdict,
} from './policy';

export interface LimiterOptions {
  readonly store: LimitStore;
  /**
   * Conditional writes one admission may make before it gives up (429 `rate_limited` with a
   * rate limit, 503 `limits_unavailable` without; only reached when concurrent requests keep
   * moving the record).
   * @default 6
   */
  readonly maxWrites?: number;
  /**
   * Tenant months whose last seen state this instance remembers (to pick the right write
   * first, and to refuse a request over its limits without a write).
   * @default 10_000
   */
  readonly maxRemembered?: number;
  /**
   * The clock, in epoch milliseconds, read at each write: a request's place in the rate is
   * when its write reaches the table, not when it arrived (it may have waited, or run its model).
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * An admitted request, and where its usage went:
 * - `counted`: with the admission, in the same write (the usual case);
 * - `not-counted`: the tenant's record is too large to take more counters; the caller meters
 *   the request (and its steps) as usage rows;
 * - `unknown`: whether the write was applied is unknown after the store's retries; the caller
 *   serves the request and keeps `write` in the spill, whose replay applies it exactly once.
 */
export type Admission =
  | { readonly usage: 'counted' | 'not-counted'; readonly headers: Readonly<Record<string, string>> }
  | {
      readonly usage: 'unknown';
      /** None: the tenant's standing is unknown. */
      readonly headers: Readonly<Record<string, string>>;
      readonly write: UsageWrite;
      readonly error: unknown;
    };

/** Remembered states are hints; a day is far longer than any use of one. */
const REMEMBER_MS = 24 * 3600 * 1000;

/**
 * Enforces a plan's monthly quota and rate limit across every instance of the function, and
 * counts the usage of the requests it admits, with one conditional write per admitted request
 * on the tenant's record for the month (see `LimitStore`), made after the model ran: the record
 * admits exactly as many requests as its limits allow, however many instances race for it,
 * and bills exactly those.
 *
 * The write cannot compute `max(tat, now)`, so it comes in two variants (see
 * `RateVariant`); the limiter tries the one the last seen state calls for, and on a
 * refused condition looks at the state that refused it (returned with the refusal by
 * DynamoDB, or read once when the store cannot return it) to answer 429 with the right
 * code and `Retry-After`, or to retry with the other variant.
 *
 * `check`, before the model runs, refuses without any I/O a request the remembered state
 * proves refused: `tat` and `used` only ever grow within a month, so a remembered `tat` past
 * the rate limit, or a remembered `used` at the quota, stays so.
 *
 * @example
 * const limiter = new Limiter({ store: new DynamoLimitStore({ tableName, client }) });
 * limiter.check(tenantId, 'free', limits);        // 429 without running the model, or nothing
 * const served = await run();
 * const admission = await limiter.admit(tenantId, 'free', limits, usageEvent, []); // 429, or admitted and counted
 */
export class Limiter {
  private readonly store: LimitStore;
  private readonly maxWrites: number;
  private readonly seen: TtlCache<string, LimitState>;
  /** Tenant days whose record cannot take more counters: their admissions go without them. */
  private readonly full: TtlCache<string, true>;
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
    this.full = new TtlCache({ ttlMs: REMEMBER_MS, maxEntries: options.maxRemembered ?? 10_000 });
  }

  /**
   * Refuses, without I/O, a request of the tenant now that its remembered state proves over
   * `limits` (a quota of 0 included): throws `TooManyRequestsError` (429 `rate_limited` /
   * `quota_exceeded`). Returns otherwise; the request is admitted or not by `admit`.
   */
  public check(tenantId: string, planId: string, limits: RequestLimits): void {
    const nowUs = this.now() * 1000;
    this.refuseIfProven(planId, limits, this.seen.get(memoOf(tenantId, monthOfMicros(nowUs))), nowUs);
  }

  /**
   * Admits one request of the tenant, served already, under `limits`, and counts its usage
   * (`event`, a success, and the successful pipeline `steps` of the same request) with it, or
   * throws `TooManyRequestsError` (429 `rate_limited` / `quota_exceeded`): then nothing is
   * counted. A store that cannot tell, after its retries, whether a write was applied leaves
   * the admission `unknown`; one whose writes were provably not applied throws 503
   * `limits_unavailable`.
   */
  public async admit(
    tenantId: string,
    planId: string,
    limits: RequestLimits,
    event: UsageEvent,
    steps: readonly UsageEvent[],
  ): Promise<Admission> {
    let nowUs = this.now() * 1000;
    // The month the request was received in: its usage counts there, and so does its unit.
    const key: LimitKey = { tenantId, month: event.at.toISOString().slice(0, 7) };
    const memo = memoOf(tenantId, key.month);
    const known = this.seen.get(memo);
    // Another request may have learned meanwhile that this one cannot be admitted.
    this.refuseIfProven(planId, limits, known, nowUs);
    let variant: RateVariant = variantFor(known ?? {}, nowUs);
    const write = this.store.open(event, steps);
    let applied = false;
    try {
      // A day's record only grows: once too large, it stays so for the day.
      const fullMemo = `${memo}\u0000${dayOfMicros(nowUs)}`;
      let counted = this.full.get(fullMemo) === undefined;
      let blindRefusals = 0;
      for (let attempt = 0; attempt < this.maxWrites; attempt += 1) {
        if (attempt > 0) nowUs = Math.max(nowUs, this.now() * 1000);
        let state: LimitState | undefined;
        if (counted) {
          const outcome = await this.store.admit(key, limits, nowUs, variant, write);
          if (outcome.outcome === 'applied') {
            applied = true;
            this.seen.set(memo, outcome.state);
            return { usage: 'counted', headers: limitHeaders(limits, outcome.state, nowUs) };
          }
          if (outcome.outcome === 'unknown') {
            return { usage: 'unknown', headers: {}, write: outcome.write, error: outcome.error };
          }
          if (outcome.outcome === 'too-large') {
            // The record cannot take more counters: admit without them; the caller meters rows.
            counted = false;
            this.full.set(fullMemo, true);
            attempt -= 1;
            continue;
          }
          state = outcome.state;
        } else {
          const outcome = await this.store.reserve(key, limits, nowUs, variant);
          if (outcome.applied) {
            this.seen.set(memo, outcome.state);
            return { usage: 'not-counted', headers: limitHeaders(limits, outcome.state, nowUs) };
          }
          state = outcome.state;
        }
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
    } finally {
      this.store.close(write, applied);
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

  /** Throws the refusal the remembered state proves, if it proves one (a quota of 0 always does). */
  private refuseIfProven(
    planId: string,
    limits: RequestLimits,
    known: LimitState | undefined,
    nowUs: number,
  ): void {
    const state = known ?? {};
    const verdict = judge(limits, state, nowUs);
    if (!verdict.admitted) throw refusal(planId, limits, { ...state, used: state.used ?? 0 }, nowUs, verdict);
  }
}

/** The UTC day (`YYYY-MM-DD`) of an instant in epoch microseconds. */
function dayOfMicros(nowUs: number): string {
  return new Date(Math.floor(nowUs / 1000)).toISOString().slice(0, 10);
}

function memoOf(tenantId: string, month: string): string {
  return `${tenantId}\u0000${month}`;
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
