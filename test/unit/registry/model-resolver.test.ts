import type { Principal } from '../../../functions/core/auth/principal';
import { ModelResolver, type ModelResolverOptions } from '../../../functions/core/registry/model-resolver';
import type { Alias, Model, ModelVersion } from '../../../functions/core/registry/types';
import { createRandom } from '../../../models/recipes/random';

const TENANT: Principal = { keyId: '0123456789abcdef', tenantId: 't_acme', scopes: ['infer'] };
const AT = '2026-01-01T00:00:00.000Z';

function version(number: string): ModelVersion {
  return {
    modelName: 'digits',
    version: number,
    tier: 'lambda',
    artifact: { sha256: number.repeat(64).slice(0, 64), size: 1, key: `artifacts/sha256/${number}.onnx` },
    inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 64] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
    createdAt: AT,
  };
}

/** The registry as plain maps: the resolver's logic is what is under test here. */
function registry(aliases: Alias[]): ModelResolverOptions['store'] & { reads: () => number } {
  const model: Model = { name: 'digits', visibility: 'public', createdAt: AT, latestVersion: 3 };
  const versions = new Map(['1', '2', '3'].map((n) => [n, version(n)]));
  let reads = 0;
  return {
    getModel: async (name) => (name === model.name ? model : undefined),
    getVersion: async (_name, number) => versions.get(number),
    getAlias: async (_name, alias) => {
      reads++;
      return aliases.find((candidate) => candidate.alias === alias);
    },
    listAliases: async () => aliases,
    listModels: async () => [model],
    reads: () => reads,
  };
}

describe('ModelResolver with weighted aliases', () => {
  const canary: Alias = {
    modelName: 'digits',
    alias: 'prod',
    version: '1',
    routes: [
      { version: '1', weight: 90 },
      { version: '2', weight: 10 },
    ],
    updatedAt: AT,
    revision: 2,
  };

  it('routes each call of a weighted prod alias on its own, about 90/10 with a seeded source', async () => {
    const store = registry([canary]);
    const random = createRandom(2026);
    const resolver = new ModelResolver({ store, cacheTtlMs: 60_000, random: random.next });
    const counts: Record<string, number> = {};

    for (let i = 0; i < 2000; i++) {
      const resolved = await resolver.resolve(TENANT, 'digits');
      expect(resolved.alias).toBe('prod');
      counts[resolved.version.version] = (counts[resolved.version.version] ?? 0) + 1;
    }

    expect(Object.keys(counts).sort()).toEqual(['1', '2']);
    expect(Math.abs((counts['2'] ?? 0) - 200)).toBeLessThan(60);
    // The alias was read once and then served from the cache; only the pick is per call.
    expect(store.reads()).toBe(1);
  });

  it('follows the random source: low numbers take the first route, high ones the last', async () => {
    let next = 0.1;
    const resolver = new ModelResolver({ store: registry([canary]), cacheTtlMs: 0, random: () => next });

    expect((await resolver.resolve(TENANT, 'digits')).version.version).toBe('1');
    next = 0.95;
    expect((await resolver.resolve(TENANT, 'digits', 'prod')).version.version).toBe('2');
  });

  it('serves a version number as asked, without an alias', async () => {
    const resolver = new ModelResolver({ store: registry([canary]), cacheTtlMs: 0, random: () => 0.99 });

    const resolved = await resolver.resolve(TENANT, 'digits', '3');

    expect(resolved.version.version).toBe('3');
    expect(resolved.alias).toBeUndefined();
  });

  it('answers 404 version_not_found naming the alias when a route points at a missing version', async () => {
    const broken: Alias = { ...canary, alias: 'staging', version: '9', routes: undefined };
    const resolver = new ModelResolver({ store: registry([broken]), cacheTtlMs: 0 });

    await expect(resolver.resolve(TENANT, 'digits', 'staging')).rejects.toMatchObject({
      status: 404,
      code: 'version_not_found',
      message: 'Alias "staging" of model "digits" points at version "9", which does not exist',
    });
  });

  it('answers 404 model_not_published when there is no prod alias', async () => {
    const resolver = new ModelResolver({ store: registry([]), cacheTtlMs: 0 });

    await expect(resolver.resolve(TENANT, 'digits')).rejects.toMatchObject({
      status: 404,
      code: 'model_not_published',
    });
  });
});
