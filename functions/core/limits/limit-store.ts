import type { LimitState, RateVariant, RequestLimits } from './policy';

/** The limiter state of one tenant and UTC month. */
export interface LimitKey {
  readonly tenantId: string;
  /** `YYYY-MM` (UTC). */
  readonly month: string;
}

/** What one reservation write did. */
export type ReserveOutcome =
  | { readonly applied: true; readonly state: LimitState }
  /** Refused by its condition; `state` is the state that refused it when the store returns it. */
  | { readonly applied: false; readonly state?: LimitState };

/**
 * Persistence port of the limiter: one record per tenant and month, changed only by
 * single conditional writes, so that every instance of the function shares it exactly.
 *
 * Failures: a reservation is not idempotent (it counts), so a store must not retry one
 * blindly. When it cannot tell whether a write was applied and cannot find out, it throws
 * `UnavailableError` (503 `limits_unavailable`) and the request is not served. Any error it
 * leaves must be on the safe side: a unit counted twice, or counted for a request that was
 * not served; never a request admitted past the limits.
 */
export interface LimitStore {
  /**
   * Reserves one request at `nowUs`, atomically: applies only when the record admits it
   * (`judge` in `./policy` says so, with the given rate variant's condition), and then adds
   * 1 to `used` and moves `tat` (`continue`: `tat + interval`, `restart`: `now + interval`).
   * Limits the plan does not set are neither checked nor written.
   */
  reserve(key: LimitKey, limits: RequestLimits, nowUs: number, variant: RateVariant): Promise<ReserveOutcome>;
  /** The record as it is now (strongly consistent); `{}` when there is none. */
  read(key: LimitKey): Promise<LimitState>;
  /** Gives a reserved unit back (`used - 1`, never below 0). */
  release(key: LimitKey): Promise<void>;
}
