import { createHash } from 'node:crypto';
import { InfergateError } from '../errors';
import type { LoadedModel, ModelRuntime } from './model-runtime';

/** Options of a {@link SessionCache}. */
export interface SessionCacheOptions {
  /** Runtime that turns verified artifact bytes into a model. */
  readonly runtime: ModelRuntime;
  /**
   * Upper bound of the `sizeBytes` of the models kept loaded. The model being used is
   * always kept, even when it alone exceeds the bound.
   */
  readonly maxBytes: number;
  /**
   * Called when releasing an evicted model fails. The failure does not reach any request,
   * so this is where it gets logged.
   * @default ignores the failure
   */
  readonly onReleaseError?: (error: unknown, sha256: string) => void;
}

interface Entry {
  readonly sha256: string;
  /** Settles when the load does; every user awaits it, so a rejection is always handled. */
  readonly ready: Promise<LoadedModel>;
  /** Set once loaded; only loaded entries count against the bound. */
  model?: LoadedModel;
  /** Users that have pinned the entry (waiting for the load or running) and not finished. */
  inFlight: number;
  /** Evicted: released when the last user finishes. */
  evicted: boolean;
}

/**
 * Loaded models of one function instance, keyed by artifact sha256 and bounded in bytes
 * (least recently used first out). Concurrent first requests for an artifact share one
 * load; a failed load is not remembered, so the next request tries again. An evicted
 * model is released only once the runs in flight on it have finished.
 *
 * @example
 * const cache = new SessionCache({ runtime, maxBytes: 512 * 1024 * 1024 });
 * const outputs = await cache.use(version.sha256, () => artifacts.get(artifactKey(version.sha256)), (model) =>
 *   model.run(request.inputs, request.outputNames),
 * );
 */
export class SessionCache {
  private readonly runtime: ModelRuntime;
  private readonly maxBytes: number;
  private readonly onReleaseError: (error: unknown, sha256: string) => void;
  /** Loaded models in least-recently-used order (a Map iterates in insertion order). */
  private readonly entries = new Map<string, Entry>();
  /** Loads in progress, shared by every request for the same artifact. */
  private readonly loading = new Map<string, Entry>();
  private totalBytes = 0;

  public constructor(options: SessionCacheOptions) {
    if (!Number.isFinite(options.maxBytes) || options.maxBytes < 0) {
      throw new RangeError(`maxBytes must be a non-negative number, got ${options.maxBytes}`);
    }
    this.runtime = options.runtime;
    this.maxBytes = options.maxBytes;
    this.onReleaseError = options.onReleaseError ?? (() => undefined);
  }

  /**
   * Runs `fn` with the model of the artifact `sha256` (lowercase hex), loading it first
   * when it is not cached. `loadBytes` is called only for a load; its bytes must hash to
   * `sha256`.
   *
   * Throws what `loadBytes` throws, `InfergateError` 502 `artifact_corrupt` when the bytes
   * do not match the hash, `InfergateError` 502 `model_load_failed` when the runtime
   * cannot load them, and whatever `fn` throws.
   */
  public async use<T>(
    sha256: string,
    loadBytes: () => Promise<Uint8Array>,
    fn: (model: LoadedModel) => Promise<T>,
  ): Promise<T> {
    const loaded = this.entries.get(sha256);
    if (loaded !== undefined) this.touch(loaded);
    const entry = loaded ?? this.loading.get(sha256) ?? this.startLoad(sha256, loadBytes);
    // Pinned before the first await: an eviction from then on leaves the release to us.
    entry.inFlight++;
    try {
      return await fn(await entry.ready);
    } finally {
      entry.inFlight--;
      if (entry.evicted && entry.inFlight === 0) await this.release(entry);
    }
  }

  /** Whether the model of an artifact is loaded (for readiness endpoints and tests). */
  public has(sha256: string): boolean {
    return this.entries.has(sha256);
  }

  /** Loaded artifacts and their bytes, least recently used first. */
  public stats(): { readonly totalBytes: number; readonly models: readonly string[] } {
    return { totalBytes: this.totalBytes, models: [...this.entries.keys()] };
  }

  /** Evicts every model; each is released once its runs in flight finish. */
  public async clear(): Promise<void> {
    const entries = [...this.entries.values()];
    await Promise.all(entries.map((entry) => this.evict(entry)));
  }

  private startLoad(sha256: string, loadBytes: () => Promise<Uint8Array>): Entry {
    const entry: Entry = {
      sha256,
      ready: this.loadModel(sha256, loadBytes).then(
        (model) => {
          this.loading.delete(sha256);
          entry.model = model;
          this.entries.set(sha256, entry);
          this.totalBytes += model.sizeBytes;
          this.evictOverflow(entry);
          return model;
        },
        (error: unknown) => {
          // Not remembered: the next request for this artifact loads again.
          this.loading.delete(sha256);
          throw error;
        },
      ),
      inFlight: 0,
      evicted: false,
    };
    this.loading.set(sha256, entry);
    return entry;
  }

  private async loadModel(sha256: string, loadBytes: () => Promise<Uint8Array>): Promise<LoadedModel> {
    const bytes = await loadBytes();
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new InfergateError(
        502,
        'artifact_corrupt',
        `model artifact sha256:${sha256} is corrupt: its ${bytes.byteLength} bytes hash to sha256:${actual}`,
      );
    }
    try {
      return await this.runtime.load(bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InfergateError(
        502,
        'model_load_failed',
        `model artifact sha256:${sha256} failed to load: ${reason}`,
        {
          cause: error,
        },
      );
    }
  }

  private touch(entry: Entry): void {
    this.entries.delete(entry.sha256);
    this.entries.set(entry.sha256, entry);
  }

  private evictOverflow(keep: Entry): void {
    for (const entry of this.entries.values()) {
      if (this.totalBytes <= this.maxBytes) return;
      if (entry !== keep) void this.evict(entry);
    }
  }

  private async evict(entry: Entry): Promise<void> {
    if (entry.evicted || entry.model === undefined) return;
    entry.evicted = true;
    this.entries.delete(entry.sha256);
    this.totalBytes -= entry.model.sizeBytes;
    if (entry.inFlight === 0) await this.release(entry);
  }

  private async release(entry: Entry): Promise<void> {
    try {
      await entry.model?.release();
    } catch (error) {
      this.onReleaseError(error, entry.sha256);
    }
  }
}
