/** What a local replay loop needs: one pass over the spill, as the replay function's handler runs it. */
export type ReplayPass = () => Promise<unknown>;

/** A running local replay loop. */
export interface LocalUsageReplay {
  /** The first pass, started at once (usage spilled before a crash is applied at start). */
  readonly first: Promise<void>;
  /** Stops the loop and waits for a pass in flight. */
  stop(): Promise<void>;
}

/**
 * The local platform's stand-in for the replay function's EventBridge schedule: the same
 * handler, run once now and then every `intervalMs`, one pass at a time. A failed pass (the
 * spill unreachable) is reported through `onError` and the next one tries again.
 *
 * @example
 * const replay = startLocalUsageReplay(() => handler(), 30_000, (error) => console.error(error));
 * await replay.stop();
 */
export function startLocalUsageReplay(
  pass: ReplayPass,
  intervalMs: number,
  onError: (error: unknown) => void,
): LocalUsageReplay {
  if (!(Number.isInteger(intervalMs) && intervalMs > 0)) {
    throw new RangeError(`intervalMs must be a positive integer, got ${intervalMs}`);
  }
  let running: Promise<void> | undefined;
  const run = (): Promise<void> => {
    running ??= pass()
      .then(
        () => undefined,
        (error: unknown) => onError(error),
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const first = run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return {
    first,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
