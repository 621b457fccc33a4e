import { UnavailableError } from '../errors';
import { backoffDelay, type BackoffPolicy, checkBackoffPolicy } from './backoff';
import type { UsageEvent, UsageKeeper, UsageRow, UsageStore } from './types';
import type { UsageSpill } from './usage-spill';
import type { SequencedUsageStore, UsageWrite } from './usage-write';

/** How hard a usage write is tried while the request waits, before it is spilled. */
export interface UsageRetryPolicy extends BackoffPolicy {
  /** Time one event may take, retries included, before it goes to the spill. */
  readonly budgetMs: number;
  /**
   * After a spill, writes get a single attempt for this long: the table is known to be in
   * trouble, and every request waiting out the whole budget would only add latency.
   */
  readonly degradedMs: number;
  /** Time the spill itself may take before the event is given up as lost. */
  readonly spillTimeoutMs: number;
}

/**
 * Suited to a synchronous request under API Gateway's 30 s: at most 2 s of retries
 * (pauses from 0-50 ms doubling up to 0-500 ms), then at most 3 s to spill.
 */
export const DEFAULT_USAGE_RETRY: UsageRetryPolicy = {
  budgetMs: 2_000,
  baseDelayMs: 50,
  maxDelayMs: 500,
  degradedMs: 10_000,
  spillTimeoutMs: 3_000,
};

/** Thrown when an event could be neither written nor spilled: the last resort is the caller's log. */
export class UsageLostError extends Error {
  public readonly event: UsageEvent;
  /** Why the write failed (the spill's failure is the `cause`). */
  public readonly writeError: unknown;

  public constructor(event: UsageEvent, writeError: unknown, spillError: unknown) {
    super('usage event neither written to the table nor spilled', { cause: spillError });
    this.name = 'UsageLostError';
    this.event = event;
    this.writeError = writeError;
  }
}

export interface DurableUsageRecorderOptions {
  readonly store: SequencedUsageStore;
  readonly spill: UsageSpill;
  /** @default DEFAULT_USAGE_RETRY */
  readonly retry?: Partial<UsageRetryPolicy>;
  /** Called after an event went to the spill (the replay will apply it). */
  readonly onSpilled?: (write: UsageWrite, error: unknown) => void;
  /** @default Math.random */
  readonly random?: () => number;
}

/**
 * Usage recording that loses nothing and counts nothing twice. A write is retried, with
 * exponential backoff and full jitter, while the store says "not now" (`UnavailableError`:
 * throttling, 5xx, timeouts, the network) and the time budget lasts; every retry carries the
 * same writer and number, so a retry of a write the table applied without answering is a
 * no-op. A write that still fails goes to the spill with that writer and number, and the
 * writer is retired; the replay applies it later, exactly once, even if the table did apply
 * it after all. If the spill fails too, `record` throws `UsageLostError` for the caller to
 * log in full (the last resort).
 *
 * Reads go straight to the store.
 *
 * @example
 * const usage = new DurableUsageRecorder({ store: dynamoUsage, spill: new S3UsageSpill({ bucket, client }) });
 * await usage.record(event); // written, or spilled for the replay; throws only if both failed
 */
export class DurableUsageRecorder implements UsageStore, UsageKeeper {
  private readonly store: SequencedUsageStore;
  private readonly spill: UsageSpill;
  private readonly policy: UsageRetryPolicy;
  private readonly onSpilled?: (write: UsageWrite, error: unknown) => void;
  private readonly random: () => number;
  /** Until when (epoch ms) writes get one attempt only, after a spill. */
  private degradedUntil = 0;

  public constructor(options: DurableUsageRecorderOptions) {
    this.store = options.store;
    this.spill = options.spill;
    this.policy = { ...DEFAULT_USAGE_RETRY, ...options.retry };
    checkBackoffPolicy(this.policy, 'options.retry');
    for (const name of ['budgetMs', 'degradedMs', 'spillTimeoutMs'] as const) {
      const value = this.policy[name];
      if (!(Number.isFinite(value) && value >= 0)) {
        throw new RangeError(`options.retry.${name} must be a number >= 0, got ${value}`);
      }
    }
    this.onSpilled = options.onSpilled;
    this.random = options.random ?? Math.random;
  }

  public async record(event: UsageEvent): Promise<void> {
    const write = this.store.open(event);
    let applied = false;
    try {
      await this.applyWithRetries(write);
      applied = true;
      this.degradedUntil = 0;
    } catch (writeError) {
      await this.keep(write, writeError);
    } finally {
      this.store.close(write, applied);
    }
  }

  /**
   * Keeps a write that could not be applied, or whose outcome is unknown, in the spill for the
   * replay, which applies it exactly once: a failed `record`'s, or an admit-and-meter write of
   * a request that was served (`Limiter.admit`, `target: 'month'`), which its own store tried.
   * Throws `UsageLostError` when the spill fails too. Like a failed `record`, it makes the
   * writes of the next seconds take one attempt: the table is in trouble.
   */
  public async keep(write: UsageWrite, writeError: unknown): Promise<void> {
    this.degradedUntil = Date.now() + this.policy.degradedMs;
    try {
      await this.spill.put(write, { signal: AbortSignal.timeout(Math.max(1, this.policy.spillTimeoutMs)) });
    } catch (spillError) {
      throw new UsageLostError(write.event, writeError, spillError);
    }
    this.onSpilled?.(write, writeError);
  }

  public listTenantMonth(tenantId: string, month: string): Promise<UsageRow[]> {
    return this.store.listTenantMonth(tenantId, month);
  }

  public listMonth(month: string): Promise<UsageRow[]> {
    return this.store.listMonth(month);
  }

  private async applyWithRetries(write: UsageWrite): Promise<void> {
    const deadline = Date.now() + this.policy.budgetMs;
    const retries = Date.now() < this.degradedUntil ? 0 : Number.POSITIVE_INFINITY;
    for (let attempt = 0; ; attempt++) {
      // Bounds the request in flight too: a hung table cannot hold the response past the budget.
      const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
      try {
        await this.store.apply(write, { signal });
        return;
      } catch (error) {
        if (!(error instanceof UnavailableError) || attempt >= retries) throw error;
        const pause = backoffDelay(attempt, this.policy, this.random);
        if (Date.now() + pause >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }
}
