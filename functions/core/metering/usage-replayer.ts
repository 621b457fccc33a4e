import { UnavailableError } from '../errors';
import type { UsageSpill } from './usage-spill';
import type { SequencedUsageStore } from './usage-write';

/** What one replay run did. */
export interface UsageReplayReport {
  /** Spilled writes applied (or found applied already) and removed from the spill. */
  readonly replayed: number;
  /** Spilled writes that could not be replayed this time; they stay for the next run. */
  readonly failed: number;
  /** Spilled writes still in the spill when the run ended (new spills included). */
  readonly left: number;
  /** True when the run stopped before the end: the store is unavailable, or the time budget ran out. */
  readonly stoppedEarly: boolean;
}

export interface UsageReplayerOptions {
  readonly store: Pick<SequencedUsageStore, 'apply'>;
  readonly spill: UsageSpill;
  /** Spilled writes replayed at the same time. @default 8 */
  readonly concurrency?: number;
  /** No spilled write is started after this long. @default 45 s (a replay function runs for 60 s) */
  readonly budgetMs?: number;
  /** Called for each spilled write that could not be replayed, with its id. */
  readonly onFailed?: (id: string, error: unknown) => void;
}

/**
 * Applies spilled usage writes to the counters and removes them from the spill. Each write
 * keeps the writer and number it was first sent with, so applying it is exactly once
 * whatever happened before: a write the table applied without answering, a replay that
 * crashed between applying and removing, two replayers on the same write. Applying first and
 * removing second means a crash can only repeat a replay, never skip one.
 *
 * @example
 * const report = await new UsageReplayer({ store: dynamoUsage, spill }).replay();
 * logger.info('usage replay', { ...report });
 */
export class UsageReplayer {
  private readonly store: Pick<SequencedUsageStore, 'apply'>;
  private readonly spill: UsageSpill;
  private readonly concurrency: number;
  private readonly budgetMs: number;
  private readonly onFailed?: (id: string, error: unknown) => void;

  public constructor(options: UsageReplayerOptions) {
    const concurrency = options.concurrency ?? 8;
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) {
      throw new RangeError(`options.concurrency must be an integer from 1 to 64, got ${concurrency}`);
    }
    const budgetMs = options.budgetMs ?? 45_000;
    if (!(Number.isFinite(budgetMs) && budgetMs >= 0)) {
      throw new RangeError(`options.budgetMs must be a number >= 0, got ${budgetMs}`);
    }
    this.store = options.store;
    this.spill = options.spill;
    this.concurrency = concurrency;
    this.budgetMs = budgetMs;
    this.onFailed = options.onFailed;
  }

  /** One pass over the spill. Throws only if the spill cannot be listed. */
  public async replay(): Promise<UsageReplayReport> {
    const deadline = Date.now() + this.budgetMs;
    const ids = this.spill.list()[Symbol.asyncIterator]();
    let seen = 0;
    let replayed = 0;
    let failed = 0;
    let stopped = false;
    let listError: unknown;

    const worker = async (): Promise<void> => {
      while (!stopped) {
        if (Date.now() >= deadline) {
          stopped = true;
          return;
        }
        let next: IteratorResult<string>;
        try {
          next = await ids.next();
        } catch (error) {
          listError ??= error;
          stopped = true;
          return;
        }
        if (next.done === true) return;
        seen++;
        const id = next.value;
        try {
          const write = await this.spill.get(id);
          // Gone: another replayer applied and removed it.
          if (write === undefined) continue;
          await this.store.apply(write);
          await this.spill.remove(id);
          replayed++;
        } catch (error) {
          failed++;
          this.onFailed?.(id, error);
          // The table is down or throttling: the next run tries again, no use hammering it.
          if (error instanceof UnavailableError) stopped = true;
        }
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    if (listError !== undefined) throw listError;
    if (stopped) await ids.return?.();

    // An empty spill (the usual case) costs one listing per run, not two.
    let left = 0;
    if (seen > 0 || stopped) {
      for await (const _id of this.spill.list()) left++;
    }
    return { replayed, failed, left, stoppedEarly: stopped };
  }
}
