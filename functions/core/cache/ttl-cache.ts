/**
 * A small bounded map whose entries expire after a fixed time. A TTL of 0 disables
 * caching (every `get` misses), which the local platform uses for immediate revocation.
 *
 * @example
 * const cache = new TtlCache<string, Model>({ ttlMs: 60_000, maxEntries: 10_000 });
 * const model = await cache.getOrLoad(name, () => store.getModel(name));
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  public constructor(options: { ttlMs: number; maxEntries?: number; now?: () => number }) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  public get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  public set(key: K, value: V): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      // Map iterates in insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  public delete(key: K): void {
    this.entries.delete(key);
  }

  /** Returns the cached value, or loads, caches and returns it. `undefined` results are cached too. */
  public async getOrLoad(key: K, load: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt > this.now()) return entry.value;
    const value = await load();
    this.set(key, value);
    return value;
  }
}
