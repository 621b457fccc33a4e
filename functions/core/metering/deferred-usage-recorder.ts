import type { AfterResponse } from '../after-response';
import type { UsageEvent, UsageRow, UsageStore } from './types';

/**
 * How long a read waits for this instance's writes still under way, so that a client reads
 * its own usage right after a response (locally, every request reaches the same instance).
 */
const READ_DRAIN_MS = 5_000;

export interface DeferredUsageRecorderOptions {
  /** The recorder that does the write (the durable recorder: retries, spill, exactly once). */
  readonly recorder: UsageStore;
  /** Where the write goes while the response is sent; drained before the instance may freeze. */
  readonly afterResponse: AfterResponse;
  /**
   * Called when a deferred write could be neither written nor spilled (`UsageLostError`),
   * as the inference service would have called it: the last resort is the caller's log.
   */
  readonly onUsageLost: (event: UsageEvent, error: unknown) => void;
}

/**
 * Usage writes taken off the response's path. `record` starts the write on the wrapped
 * recorder, hands it to `afterResponse` and returns at once: the response does not wait
 * for the table, and the drainer (the Lambda extension, the local emulator) keeps the
 * instance alive until the write is done. Nothing about the write changes: same retries,
 * same spill, same exactly-once writer and number; a write that is lost goes to
 * `onUsageLost`. While nothing drains (`afterResponse.enabled` is false: not on Lambda, or
 * the extension could not register) `record` waits for the write, as before. Reads first
 * wait (up to 5 s) for this instance's writes under way: a client reads its own usage.
 *
 * Only usage rows go through here. A write that decides the response (the limiter's
 * admission) never does.
 *
 * @example
 * const usage = new DeferredUsageRecorder({ recorder: durable, afterResponse, onUsageLost });
 * await usage.record(event); // returns before the write; `afterResponse.drain()` waits for it
 */
export class DeferredUsageRecorder implements UsageStore {
  private readonly recorder: UsageStore;
  private readonly afterResponse: AfterResponse;
  private readonly onUsageLost: (event: UsageEvent, error: unknown) => void;

  public constructor(options: DeferredUsageRecorderOptions) {
    this.recorder = options.recorder;
    this.afterResponse = options.afterResponse;
    this.onUsageLost = options.onUsageLost;
  }

  public record(event: UsageEvent): Promise<void> {
    if (!this.afterResponse.enabled) return this.recorder.record(event);
    this.afterResponse.defer(
      this.recorder.record(event).catch((error: unknown) => this.onUsageLost(event, error)),
    );
    return Promise.resolve();
  }

  public async listTenantMonth(tenantId: string, month: string): Promise<UsageRow[]> {
    await this.afterResponse.drain(READ_DRAIN_MS);
    return this.recorder.listTenantMonth(tenantId, month);
  }

  public async listMonth(month: string): Promise<UsageRow[]> {
    await this.afterResponse.drain(READ_DRAIN_MS);
    return this.recorder.listMonth(month);
  }
}
