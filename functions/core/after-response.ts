/** What `AfterResponse.drain` found when it returned. */
export interface DrainResult {
  /** True when every deferred piece of work had settled. */
  readonly drained: boolean;
  /** Pieces still running (0 when drained). */
  readonly pending: number;
}

export interface AfterResponseOptions {
  /**
   * Called when a deferred piece of work rejects. Work is expected to handle its own
   * failures (the deferred usage recorder reports lost usage itself); this only keeps a
   * rejection from going unnoticed. @default `console.error`
   */
  readonly onError?: (error: unknown) => void;
}

/**
 * Work that must finish after the response is sent but before the instance may be frozen:
 * what Hono's `executionCtx.waitUntil` is to a Worker. A request hands its work over with
 * `defer` and answers at once; whatever runs the function drains the tracker after the
 * response is out: on Lambda an internal extension that calls `next` only once `drain`
 * returns (the invocation, and so the instance, stays alive until then), locally the API
 * Gateway emulator after it has written each response.
 *
 * Work is deferred only once something has promised to drain: `enable()` is called by the
 * drainer, and callers check `enabled` and otherwise do their work before answering.
 *
 * @example
 * const afterResponse = new AfterResponse();
 * afterResponse.enable(); // by the drainer
 * afterResponse.defer(recordUsage(event)); // the request answers without waiting
 * await afterResponse.drain(5_000); // after the response: { drained: true, pending: 0 }
 */
export class AfterResponse {
  private readonly work = new Set<Promise<void>>();
  private readonly onError: (error: unknown) => void;
  private accepting = false;

  public constructor(options: AfterResponseOptions = {}) {
    this.onError =
      options.onError ?? ((error) => console.error('Work deferred after the response failed', error));
  }

  /** True once a drainer has promised to drain after each response (see `enable`). */
  public get enabled(): boolean {
    return this.accepting;
  }

  /** Pieces of deferred work still running. */
  public get pending(): number {
    return this.work.size;
  }

  /** Called by the drainer (the Lambda extension, the local emulator) once it will drain. */
  public enable(): void {
    this.accepting = true;
  }

  /**
   * Called by the drainer when it can no longer drain (the extension's loop failed):
   * callers do their work before answering again. Work already deferred is still tracked.
   */
  public disable(): void {
    this.accepting = false;
  }

  /** Tracks `work` until it settles; returns at once. */
  public defer(work: Promise<unknown>): void {
    const tracked: Promise<void> = work.then(
      () => undefined,
      (error: unknown) => this.onError(error),
    );
    this.work.add(tracked);
    void tracked.finally(() => this.work.delete(tracked));
  }

  /**
   * Waits until every deferred piece of work has settled, work deferred meanwhile included,
   * or until `timeoutMs` has passed. Never throws.
   */
  public async drain(timeoutMs: number): Promise<DrainResult> {
    if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be a number >= 0, got ${timeoutMs}`);
    if (this.work.size === 0) return { drained: true, pending: 0 };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      while (this.work.size > 0) {
        const settled = await Promise.race([Promise.all([...this.work]), timedOut]);
        if (settled === 'timeout') break;
      }
    } finally {
      clearTimeout(timer);
    }
    return { drained: this.work.size === 0, pending: this.work.size };
  }
}
