import type { Plan } from '../registry/types';

/**
 * The per-request limits of a plan, in the units the limiter computes with. Time is in
 * integer microseconds since the epoch, so that the arithmetic the table does on the
 * limiter item (`tat + :interval`) stays exact.
 */
export interface RequestLimits {
  /** Successful requests per calendar month (UTC); absent: unlimited. */
  readonly monthlyQuota?: number;
  /** The rate limit as a GCRA (generic cell rate algorithm); absent: unlimited. */
  readonly rate?: RateLimit;
}

/**
 * A GCRA rate limit: on average one request per `intervalUs`, and up to `burst` at once
 * after a quiet period. The state is one number, the theoretical arrival time `tat` of
 * the next request: a request at `now` is admitted when `max(tat, now) + interval <=
 * now + burst * interval`, and then moves `tat` to `max(tat, now) + interval`.
 */
export interface RateLimit {
  readonly requestsPerSecond: number;
  readonly burst: number;
  readonly intervalUs: number;
}

/** What the limiter knows of a tenant's month: requests counted and the GCRA's `tat`. */
export interface LimitState {
  /** Requests admitted this month (successful requests: failures are never admitted). */
  readonly used?: number;
  /** Theoretical arrival time of the next request, microseconds since the epoch. */
  readonly tat?: number;
}

/**
 * Which of the two conditional writes an admission tries: `continue` when the tenant's
 * `tat` is in the future (`tat = tat + interval`), `restart` when it is absent or past
 * (`tat = now + interval`). One write cannot compute `max(tat, now)`, so the limiter
 * picks the variant from the last state it saw and tries the other when it was wrong.
 */
export type RateVariant = 'continue' | 'restart';

/** The outcome of judging a state: admitted (and how to write it), or refused and why. */
export type Verdict =
  | { readonly admitted: true; readonly variant: RateVariant }
  | {
      readonly admitted: false;
      readonly reason: 'quota_exceeded' | 'rate_limited';
      /** Seconds until a request could be admitted again (at least 1). */
      readonly retryAfterSeconds: number;
    };

export const MICROS_PER_SECOND = 1_000_000;

/**
 * The limits a plan sets, or undefined when it sets none (the limiter then does no I/O).
 * Throws a `RangeError` naming the field when a plan's limit is not usable.
 *
 * @example
 * requestLimitsOf({ monthlyQuota: 1000, rateLimit: { requestsPerSecond: 5, burst: 10 } });
 * // { monthlyQuota: 1000, rate: { requestsPerSecond: 5, burst: 10, intervalUs: 200000 } }
 */
export function requestLimitsOf(
  plan: Pick<Plan, 'planId' | 'monthlyQuota' | 'rateLimit'>,
): RequestLimits | undefined {
  const { monthlyQuota, rateLimit } = plan;
  if (monthlyQuota === undefined && rateLimit === undefined) return undefined;
  if (monthlyQuota !== undefined && !(Number.isSafeInteger(monthlyQuota) && monthlyQuota >= 0)) {
    throw new RangeError(`plan "${plan.planId}": monthlyQuota must be an integer >= 0, got ${monthlyQuota}`);
  }
  let rate: RateLimit | undefined;
  if (rateLimit !== undefined) {
    const { requestsPerSecond, burst } = rateLimit;
    if (!(
      Number.isFinite(requestsPerSecond) &&
      requestsPerSecond > 0 &&
      requestsPerSecond <= MICROS_PER_SECOND
    )) {
      throw new RangeError(
        `plan "${plan.planId}": rateLimit.requestsPerSecond must be in (0, 1000000], got ${requestsPerSecond}`,
      );
    }
    if (!(Number.isSafeInteger(burst) && burst >= 1)) {
      throw new RangeError(`plan "${plan.planId}": rateLimit.burst must be an integer >= 1, got ${burst}`);
    }
    rate = {
      requestsPerSecond,
      burst,
      intervalUs: Math.max(1, Math.round(MICROS_PER_SECOND / requestsPerSecond)),
    };
  }
  return { ...(monthlyQuota === undefined ? {} : { monthlyQuota }), ...(rate === undefined ? {} : { rate }) };
}

/** The largest `tat` that still admits a request at `nowUs`: `now + (burst - 1) * interval`. */
export function latestAdmissibleTat(rate: RateLimit, nowUs: number): number {
  return nowUs + (rate.burst - 1) * rate.intervalUs;
}

/** The variant whose condition the state meets at `nowUs`. */
export function variantFor(state: LimitState, nowUs: number): RateVariant {
  return state.tat !== undefined && state.tat > nowUs ? 'continue' : 'restart';
}

/**
 * Whether a request at `nowUs` is admitted in this state: the same test the limiter's
 * conditional write makes, in memory. A spent quota wins over the rate limit (its wait is
 * longer and the rate does not matter until then).
 */
export function judge(limits: RequestLimits, state: LimitState, nowUs: number): Verdict {
  if (limits.monthlyQuota !== undefined && (state.used ?? 0) >= limits.monthlyQuota) {
    return { admitted: false, reason: 'quota_exceeded', retryAfterSeconds: secondsToNextMonth(nowUs) };
  }
  if (limits.rate !== undefined && state.tat !== undefined) {
    const excessUs = state.tat - latestAdmissibleTat(limits.rate, nowUs);
    if (excessUs > 0) {
      return {
        admitted: false,
        reason: 'rate_limited',
        retryAfterSeconds: Math.max(1, ceilSeconds(excessUs)),
      };
    }
  }
  return { admitted: true, variant: variantFor(state, nowUs) };
}

/** The UTC month (`YYYY-MM`) of an instant in microseconds. */
export function monthOfMicros(nowUs: number): string {
  return new Date(Math.floor(nowUs / 1000)).toISOString().slice(0, 7);
}

/** Whole seconds (rounded up, at least 1) from `nowUs` to the first instant of the next UTC month. */
export function secondsToNextMonth(nowUs: number): number {
  const now = new Date(Math.floor(nowUs / 1000));
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, ceilSeconds(next * 1000 - nowUs));
}

function ceilSeconds(micros: number): number {
  return Math.ceil(micros / MICROS_PER_SECOND);
}

/** One limit as response headers describe it. */
interface Standing {
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the whole allowance is back. */
  readonly reset: number;
}

/**
 * Response headers describing the tenant's standing after a request (admitted or not):
 *
 * - `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset`: the limit closest to
 *   stopping the caller (the lowest remaining; on a tie the later reset), as the IETF
 *   RateLimit header fields draft chooses among several policies. For the rate limit, the
 *   limit is the burst, remaining is how many requests could be sent at once now, and reset
 *   is the seconds until the full burst is available again. For the quota, the limit is the
 *   monthly quota and reset is the seconds to the next UTC month.
 * - `x-quota-limit`, `x-quota-remaining`, `x-quota-reset`: the monthly quota, whenever the
 *   plan has one, so that a client always sees its month.
 *
 * Reset values are delta-seconds (like `Retry-After`), rounded up.
 */
export function limitHeaders(
  limits: RequestLimits,
  state: LimitState,
  nowUs: number,
): Record<string, string> {
  const standings: Standing[] = [];
  let quota: Standing | undefined;
  if (limits.monthlyQuota !== undefined) {
    quota = {
      limit: limits.monthlyQuota,
      remaining: Math.max(0, limits.monthlyQuota - (state.used ?? 0)),
      reset: secondsToNextMonth(nowUs),
    };
    standings.push(quota);
  }
  if (limits.rate !== undefined) {
    const { burst, intervalUs } = limits.rate;
    const tat = Math.max(state.tat ?? nowUs, nowUs);
    const remaining = Math.floor((nowUs + burst * intervalUs - tat) / intervalUs);
    standings.push({
      limit: burst,
      remaining: Math.min(burst, Math.max(0, remaining)),
      reset: ceilSeconds(tat - nowUs),
    });
  }
  const headers: Record<string, string> = {};
  const closest = standings.reduce<Standing | undefined>(
    (best, next) =>
      best === undefined ||
      next.remaining < best.remaining ||
      (next.remaining === best.remaining && next.reset > best.reset)
        ? next
        : best,
    undefined,
  );
  if (closest !== undefined) {
    headers['x-ratelimit-limit'] = String(closest.limit);
    headers['x-ratelimit-remaining'] = String(closest.remaining);
    headers['x-ratelimit-reset'] = String(closest.reset);
  }
  if (quota !== undefined) {
    headers['x-quota-limit'] = String(quota.limit);
    headers['x-quota-remaining'] = String(quota.remaining);
    headers['x-quota-reset'] = String(quota.reset);
  }
  return headers;
}
