import type { UsageEvent } from '../metering/types';
import type { UsageWrite } from '../metering/usage-write';
import type { LimitState, RateVariant, RequestLimits } from './policy';

/** The limiter state of one tenant and UTC month. */
export interface LimitKey {
  readonly tenantId: string;
  /** `YYYY-MM` (UTC). */
  readonly month: string;
}

/** What one admit-and-meter write did (see `LimitStore.admit`). */
export type AdmitOutcome =
  /** Applied: the request is admitted and its usage counted; `state` is the record after it. */
  | { readonly outcome: 'applied'; readonly state: LimitState }
  /** Refused by the limits' condition (and provably not applied); the refusing state when the store returns it. */
  | { readonly outcome: 'refused'; readonly state?: LimitState }
  /** Not applied: the record cannot take the write's counters (DynamoDB's 400 KB item limit). */
  | { readonly outcome: 'too-large' }
  /**
   * Whether it was applied is unknown after the store's retries (timeouts, lost answers);
   * `write` is the write to keep for the replay, with the record it was sent to (`day`).
   */
  | { readonly outcome: 'unknown'; readonly error: unknown; readonly write: UsageWrite };

/** What one reservation write (an admission without usage) did. */
export type ReserveOutcome =
  | { readonly applied: true; readonly state: LimitState }
  /** Refused by its condition; `state` is the state that refused it when the store returns it. */
  | { readonly applied: false; readonly state?: LimitState };

/**
 * Persistence port of the limiter: one record per tenant and month, changed only by single
 * conditional writes, so that every instance of the function shares it exactly (a store may
 * keep it as a chain of items, one per day, carrying its state from one to the next). The record
 * also holds the billing counters of the requests it admitted: a request's admission and its
 * usage are one write.
 *
 * Failures: a write that counts must not be applied twice. `admit` writes carry a writer and
 * a number (`open`/`close`, as usage writes do) and apply at most once however often they are
 * sent; when their outcome stays unknown the store says so (`unknown`) and the caller keeps
 * the write for the replay. Writes provably not applied after the store's retries (throttling,
 * a refused connection) throw `UnavailableError` (503 `limits_unavailable`).
 */
export interface LimitStore {
  /** Binds the usage of a request (and of its pipeline steps) to a free writer and its next number; no I/O. */
  open(event: UsageEvent, steps: readonly UsageEvent[]): UsageWrite;
  /**
   * Ends a write: `settled` when it was applied or never can be (its writer takes the next
   * write); otherwise its writer is retired for good.
   */
  close(write: UsageWrite, settled: boolean): void;
  /**
   * Admits one request at `nowUs` and counts its usage, atomically and exactly once: applies
   * only when the record admits it (`judge` in `./policy`, with the given rate variant's
   * condition) and has not taken this write already; then adds 1 to `used`, moves `tat`
   * (`continue`: `tat + interval`, `restart`: `now + interval`) and adds the write's counters.
   * Limits the plan does not set are neither checked nor written.
   */
  admit(
    key: LimitKey,
    limits: RequestLimits,
    nowUs: number,
    variant: RateVariant,
    write: UsageWrite,
  ): Promise<AdmitOutcome>;
  /**
   * Admits one request without its usage (the fallback when the record is too large to take
   * more counters; the usage goes to a usage row). Not exactly once on a retry after an unknown
   * outcome: it may count one request too many, never one admission too many.
   */
  reserve(key: LimitKey, limits: RequestLimits, nowUs: number, variant: RateVariant): Promise<ReserveOutcome>;
  /** The record as it is now (strongly consistent); `{}` when there is none. */
  read(key: LimitKey): Promise<LimitState>;
}
