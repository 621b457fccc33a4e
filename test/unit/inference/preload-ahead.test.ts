import { NotFoundError } from '../../../functions/core/errors';
import {
  ArtifactPrefetch,
  findPreloadCandidates,
  preloadModels,
  withinPreloadBytes,
} from '../../../functions/core/inference/preload';
import type { ModelSessions } from '../../../functions/core/inference/inference-service';
import type { Alias, Model, ModelVersion } from '../../../functions/core/registry/types';

/** An artifact store that counts reads and answers from a map (missing keys: 404). */
class CountingArtifacts {
  public reads: string[] = [];
  public constructor(private readonly objects: Map<string, Uint8Array>) {}
  public async get(key: string): Promise<Uint8Array> {
    this.reads.push(key);
    const bytes = this.objects.get(key);
    if (bytes === undefined) throw new NotFoundError('artifact_not_found', `no object ${key}`);
    return bytes;
  }
}

function version(modelName: string, size: number): ModelVersion {
  return {
    modelName,
    version: '1',
    tier: 'lambda',
    artifact: { key: `artifacts/${modelName}`, sha256: modelName.padEnd(64, '0'), size },
    inputs: [],
    outputs: [],
    createdAt: '2026-11-01T00:00:00.000Z',
  } as unknown as ModelVersion;
}

/** A registry of the given versions, each behind its model's `prod` alias, counting listings. */
function registry(versions: readonly ModelVersion[]) {
  const counts = { listModels: 0 };
  return {
    counts,
    store: {
      listModels: async () => {
        counts.listModels++;
        return versions.map((v) => ({ name: v.modelName }) as Model);
      },
      getAlias: async (name: string) => ({ name: 'prod', modelName: name, version: '1' }) as unknown as Alias,
      getVersion: async (name: string) => versions.find((v) => v.modelName === name),
    },
  };
}

describe('ArtifactPrefetch', () => {
  it('answers a prefetched key with its download once, then reads the store again', async () => {
    const store = new CountingArtifacts(new Map([['a', new Uint8Array([1, 2])]]));
    const downloads = new ArtifactPrefetch(store);
    downloads.prefetch(['a', 'a']);
    expect(store.reads).toEqual(['a']);
    expect(await downloads.get('a')).toEqual(new Uint8Array([1, 2]));
    expect(store.reads).toEqual(['a']);
    await downloads.get('a');
    expect(store.reads).toEqual(['a', 'a']);
  });

  it('fails the read of a prefetched key that failed, as the store would', async () => {
    const downloads = new ArtifactPrefetch(new CountingArtifacts(new Map()));
    downloads.prefetch(['missing']);
    await expect(downloads.get('missing')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('drops unread downloads on clear', async () => {
    const store = new CountingArtifacts(new Map([['a', new Uint8Array([1])]]));
    const downloads = new ArtifactPrefetch(store);
    downloads.prefetch(['a']);
    downloads.clear();
    await downloads.get('a');
    expect(store.reads).toEqual(['a', 'a']);
  });
});

describe('withinPreloadBytes', () => {
  it('keeps the versions that fit in order, skipping one too large for what is left', () => {
    const versions = [version('a', 60), version('b', 50), version('c', 30), version('d', 20)];
    expect(withinPreloadBytes(versions, 100).map((v) => v.modelName)).toEqual(['a', 'c']);
    expect(withinPreloadBytes(versions, 0)).toEqual([]);
  });
});

describe('preloadModels with candidates found ahead', () => {
  it('loads the candidates it is given without listing the registry again, reading the prefetched bytes', async () => {
    const versions = [version('a', 10), version('b', 10)];
    const { store, counts } = registry(versions);
    const artifacts = new CountingArtifacts(
      new Map(versions.map((v) => [v.artifact.key, new Uint8Array([v.artifact.size])])),
    );
    const downloads = new ArtifactPrefetch(artifacts);
    const candidates = findPreloadCandidates({ store, tier: 'lambda' }).then((found) => {
      downloads.prefetch(withinPreloadBytes(found, 15).map((v) => v.artifact.key));
      return found;
    });
    const loaded: string[] = [];
    const sessions: ModelSessions = {
      withModel: async (artifact, fn) => {
        await downloads.get(artifact.key);
        loaded.push(artifact.key);
        return fn({ run: async () => ({}), release: async () => undefined } as never);
      },
    };
    const report = await preloadModels({
      store,
      sessions,
      candidates,
      tier: 'lambda',
      maxBytes: 15,
      timeoutMs: 5000,
      warmupRuns: 0,
    });
    expect(counts.listModels).toBe(1);
    expect(report.loaded).toEqual(['a:1']);
    expect(report.skipped).toEqual(['b:1']);
    // The one artifact within the bytes was downloaded once, ahead, and read from there.
    expect(artifacts.reads).toEqual(['artifacts/a']);
    expect(loaded).toEqual(['artifacts/a']);
  });
});
