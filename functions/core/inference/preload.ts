import type { ArtifactStore } from '../artifacts';
import { versionsOf } from '../registry/alias-routes';
import type { RegistryStore } from '../registry/registry-store';
import { DEFAULT_ALIAS, type Model, type ModelVersion, type Tier } from '../registry/types';
import type { LoadedModel } from '../runtime/model-runtime';
import { sampleFeeds, sampleShapes } from '../validation/sample-inputs';
import type { ModelSessions } from './inference-service';

/** What went wrong in a preload, for the log: nothing of it reaches a request. */
export interface PreloadFailure {
  /** `list`: the registry listing; `resolve`: a model's alias or versions; `load`; `warmup`. */
  readonly stage: 'list' | 'resolve' | 'load' | 'warmup';
  readonly model?: string;
  readonly version?: string;
  readonly error: unknown;
}

/** Options of {@link preloadModels}. */
export interface PreloadOptions {
  readonly store: Pick<RegistryStore, 'listModels' | 'getAlias' | 'getVersion'>;
  /** Where models are loaded: the session cache that serves the requests. */
  readonly sessions: ModelSessions;
  /** Only versions of this tier are loaded (the one that runs in this process). */
  readonly tier: Tier;
  /**
   * Largest total of artifact bytes to load; versions that would go over it are skipped.
   * 0 turns preloading off.
   */
  readonly maxBytes: number;
  /**
   * How long {@link preloadModels} waits. A load still running then is not abandoned: it
   * goes on in the background in the session cache, where a request for that model joins it.
   */
  readonly timeoutMs: number;
  /**
   * Runs of each loaded model on sample inputs (the registration check's), so that the
   * code of `run` is compiled before the first request rather than during it.
   * @default 1
   */
  readonly warmupRuns?: number;
  /** @default DEFAULT_ALIAS (`prod`) */
  readonly alias?: string;
  /**
   * The candidates, when they were looked up ahead ({@link findPreloadCandidates}, started
   * while the runtime initializes); looked up when the preload starts otherwise.
   */
  readonly candidates?: Promise<readonly ModelVersion[]>;
  /** Called for each failure; a failure never stops the others. @default ignores them */
  readonly onFailure?: (failure: PreloadFailure) => void;
  /** @default performance.now */
  readonly clock?: () => number;
}

/** What a preload did by the time it returned. Versions are `name:version`. */
export interface PreloadReport {
  /** Loaded, and warmed up when that was asked for. */
  readonly loaded: readonly string[];
  /** Left out: over the byte bound, or not started before the deadline. */
  readonly skipped: readonly string[];
  /** Could not be loaded (see `onFailure`). */
  readonly failed: readonly string[];
  /** Still loading at the deadline: the load goes on in the background. */
  readonly pending: readonly string[];
  /** Whether the deadline came first. */
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

/** Registry reads in flight at once while the candidates are resolved. */
const RESOLVE_CONCURRENCY = 8;

/**
 * Loads the models a fresh function instance will most likely be asked for — the versions
 * of this tier behind every model's `prod` alias (all routes of a canary, the heavier
 * first), in the registry's order — until `maxBytes` of artifacts, and runs each once on
 * sample inputs. Meant for the init phase: it is bounded in bytes and in time, and what
 * fails in it (the registry, an artifact, a load) goes to `onFailure`, never to the caller,
 * so a broken model or registry cannot stop a function from starting.
 *
 * @example
 * const report = await preloadModels({ store, sessions, tier: 'lambda', maxBytes: 128 << 20, timeoutMs: 3000 });
 * logger.info('Models preloaded', { ...report });
 */
export async function preloadModels(options: PreloadOptions): Promise<PreloadReport> {
  const clock = options.clock ?? (() => performance.now());
  const started = clock();
  const onFailure = options.onFailure ?? (() => undefined);
  const warmupRuns = options.warmupRuns ?? 1;
  if (!Number.isInteger(warmupRuns) || warmupRuns < 0) {
    throw new RangeError(`warmupRuns must be a non-negative integer, got ${warmupRuns}`);
  }
  const loaded: string[] = [];
  const skipped: string[] = [];
  const failed: string[] = [];
  /** Candidates not started yet, and the one loading. */
  let queue: string[] = [];
  let loading: string | undefined;
  let late = false;
  const report = (): PreloadReport => ({
    loaded: [...loaded],
    skipped: late ? [...skipped, ...queue] : [...skipped],
    failed: [...failed],
    pending: late && loading !== undefined ? [loading] : [],
    timedOut: late,
    elapsedMs: clock() - started,
  });
  if (options.maxBytes <= 0) return report();

  const work = async (): Promise<void> => {
    const candidates = await (options.candidates ?? findPreloadCandidates({ ...options, onFailure }));
    queue = candidates.map(idOf);
    const within = new Set(withinPreloadBytes(candidates, options.maxBytes));
    for (const version of candidates) {
      if (late) return;
      const id = queue.shift() ?? idOf(version);
      if (!within.has(version)) {
        skipped.push(id);
        continue;
      }
      loading = id;
      try {
        await options.sessions.withModel(version.artifact, (model) =>
          warmUp(model, version, warmupRuns, onFailure),
        );
        loaded.push(id);
      } catch (error) {
        failed.push(id);
        onFailure({ stage: 'load', model: version.modelName, version: version.version, error });
      }
      loading = undefined;
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, options.timeoutMs));
  });
  // `work` handles its own failures: it never rejects.
  const outcome = await Promise.race([work().then(() => 'done' as const), deadline]);
  clearTimeout(timer);
  late = outcome === 'late';
  return report();
}

function idOf(version: ModelVersion): string {
  return `${version.modelName}:${version.version}`;
}

/**
 * The versions a preload considers: those of the tier behind each model's alias (all routes
 * of a canary, the heavier first), in the registry's order. Registry failures go to
 * `onFailure` and leave the models concerned out; it never rejects. Started ahead of
 * {@link preloadModels} (its `candidates`), its reads wait on the network while the runtime
 * initializes, which is CPU work.
 */
export async function findPreloadCandidates(
  options: Pick<PreloadOptions, 'store' | 'tier' | 'alias' | 'onFailure'>,
): Promise<ModelVersion[]> {
  const onFailure = options.onFailure ?? (() => undefined);
  let models: Model[];
  try {
    models = await options.store.listModels();
  } catch (error) {
    onFailure({ stage: 'list', error });
    return [];
  }
  const alias = options.alias ?? DEFAULT_ALIAS;
  const perModel: ModelVersion[][] = [];
  for (let start = 0; start < models.length; start += RESOLVE_CONCURRENCY) {
    const batch = models.slice(start, start + RESOLVE_CONCURRENCY);
    perModel.push(
      ...(await Promise.all(
        batch.map(async (model) => {
          try {
            return await aliasVersions(options.store, model.name, alias);
          } catch (error) {
            onFailure({ stage: 'resolve', model: model.name, error });
            return [];
          }
        }),
      )),
    );
  }
  return perModel.flat().filter((version) => version.tier === options.tier);
}

async function aliasVersions(
  store: PreloadOptions['store'],
  name: string,
  aliasName: string,
): Promise<ModelVersion[]> {
  const alias = await store.getAlias(name, aliasName);
  if (alias === undefined) return [];
  const weights = new Map((alias.routes ?? []).map((route) => [route.version, route.weight]));
  const numbers = versionsOf(alias).sort((a, b) => (weights.get(b) ?? 0) - (weights.get(a) ?? 0));
  const versions = await Promise.all(numbers.map((number) => store.getVersion(name, number)));
  return versions.filter((version): version is ModelVersion => version !== undefined);
}

/** A warm-up that fails leaves the model loaded: only the first request pays for its compilation. */
async function warmUp(
  model: LoadedModel,
  version: ModelVersion,
  runs: number,
  onFailure: (failure: PreloadFailure) => void,
): Promise<void> {
  if (runs === 0) return;
  try {
    const [feeds] = sampleFeeds(version.inputs, sampleShapes(version.inputs, {}), { count: 1, seed: 1 });
    if (feeds === undefined) return;
    for (let run = 0; run < runs; run++) await model.run(feeds);
  } catch (error) {
    onFailure({ stage: 'warmup', model: version.modelName, version: version.version, error });
  }
}

/**
 * The candidates a preload of `maxBytes` loads, in order: its artifacts can be downloaded
 * ahead ({@link ArtifactPrefetch}).
 */
export function withinPreloadBytes(versions: readonly ModelVersion[], maxBytes: number): ModelVersion[] {
  let budget = maxBytes;
  return versions.filter((version) => {
    if (version.artifact.size > budget) return false;
    budget -= version.artifact.size;
    return true;
  });
}

/**
 * An artifact store that can start downloads ahead: `get` of a prefetched key returns that
 * download (once; later reads go to the store), so the cold start's downloads overlap the
 * runtime's initialization. A failed prefetch fails its `get`, as the store would have.
 *
 * @example
 * const downloads = new ArtifactPrefetch(artifacts);
 * downloads.prefetch(['artifacts/sha256/ab12....onnx']);
 * const sessions = modelSessions(cache, downloads);
 */
export class ArtifactPrefetch implements Pick<ArtifactStore, 'get'> {
  private readonly store: Pick<ArtifactStore, 'get'>;
  private readonly started = new Map<string, Promise<Uint8Array>>();

  public constructor(store: Pick<ArtifactStore, 'get'>) {
    this.store = store;
  }

  /** Starts downloading the keys not started yet. */
  public prefetch(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.started.has(key)) continue;
      const download = this.store.get(key);
      // Its failure reaches whoever reads the key; unread, it is dropped with the others.
      download.catch(() => undefined);
      this.started.set(key, download);
    }
  }

  public get(key: string): Promise<Uint8Array> {
    const download = this.started.get(key);
    if (download === undefined) return this.store.get(key);
    this.started.delete(key);
    return download;
  }

  /** Drops the downloads nobody read (a preload that ended early). */
  public clear(): void {
    this.started.clear();
  }
}
