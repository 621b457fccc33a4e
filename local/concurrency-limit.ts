/**
 * At most `limit` holders at a time; the rest wait in arrival order. The local server
 * uses one per function, as Lambda caps a function's concurrent executions: a burst
 * queues in front of the function instead of piling onto its downstream clients, whose
 * timeouts would then fire while requests merely wait for a socket.
 *
 * @example
 * const limit = new ConcurrencyLimit(32);
 * const release = await limit.acquire();
 * try { await work(); } finally { release(); }
 */
export class ConcurrencyLimit {
  private readonly limit: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  public constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  public async acquire(): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // A waiter takes over the slot; otherwise the slot frees up.
      if (next === undefined) this.active--;
      else next();
    };
  }

  /** Holders and waiters, for tests and logs. */
  public stats(): { readonly active: number; readonly waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}
