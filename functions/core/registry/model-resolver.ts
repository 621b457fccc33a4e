import { NAME_PATTERN } from '../../api/pipeline-schemas';
import { NotFoundError } from '../errors';
import { TtlCache } from '../cache/ttl-cache';
import { isAdmin, type Principal } from '../auth/principal';
import { pickVersion } from './alias-routes';
import type { RegistryStore } from './registry-store';
import { DEFAULT_ALIAS, type Alias, type Model, type ModelVersion } from './types';

/** What a data-plane request resolves to. */
export interface ResolvedModel {
  readonly model: Model;
  /** The version that serves (and is metered for) this request. */
  readonly version: ModelVersion;
  /** The alias the request named or defaulted to; absent when it named a version number. */
  readonly alias?: string;
}

export interface ModelResolverOptions {
  readonly store: Pick<RegistryStore, 'getModel' | 'getVersion' | 'getAlias' | 'listAliases' | 'listModels'>;
  /** How long models and aliases stay cached; versions are immutable and cached for good. */
  readonly cacheTtlMs: number;
  /**
   * Uniform numbers in [0, 1) that route each request of a weighted alias.
   * @default Math.random
   */
  readonly random?: () => number;
}

/**
 * Resolves model names, versions and aliases for a caller, enforcing visibility: a
 * private model of another tenant answers exactly like a model that does not exist. A
 * weighted alias (a canary) picks one of its versions per request, with the routes'
 * probabilities; the alias is cached, the pick is made anew for every request.
 *
 * @example
 * const resolver = new ModelResolver({ store, cacheTtlMs: 60_000 });
 * const { version } = await resolver.resolve(principal, 'digits'); // the prod alias
 * response.headers.set('x-model-version', version.version);
 */
export class ModelResolver {
  private readonly store: ModelResolverOptions['store'];
  private readonly random: () => number;
  private readonly models: TtlCache<string, Model | undefined>;
  private readonly aliases: TtlCache<string, Alias | undefined>;
  private readonly versions: TtlCache<string, ModelVersion | undefined>;

  public constructor(options: ModelResolverOptions) {
    this.store = options.store;
    this.random = options.random ?? Math.random;
    this.models = new TtlCache({ ttlMs: options.cacheTtlMs });
    this.aliases = new TtlCache({ ttlMs: options.cacheTtlMs });
    // Immutable once created; a miss is not cached so a new version is seen at once.
    this.versions = new TtlCache({ ttlMs: Number.MAX_SAFE_INTEGER / 2 });
  }

  /** The model if the principal may see it; otherwise 404 `model_not_found`. */
  public async visibleModel(principal: Principal, name: string): Promise<Model> {
    const model = await this.models.getOrLoad(name, () => this.store.getModel(name));
    if (model === undefined || !canSee(principal, model)) {
      throw new NotFoundError('model_not_found', `Model "${name}" was not found`);
    }
    return model;
  }

  /**
   * Resolves `name` (its `prod` alias) or `name` + a version number or alias name. An alias
   * with weighted routes resolves to one of its versions, chosen for this call.
   */
  public async resolve(principal: Principal, name: string, versionOrAlias?: string): Promise<ResolvedModel> {
    const model = await this.visibleModel(principal, name);
    const { versionNumber, alias } = await this.versionNumber(name, versionOrAlias);
    const version = await this.getVersion(name, versionNumber);
    if (version === undefined) {
      throw new NotFoundError(
        'version_not_found',
        alias === undefined
          ? `Model "${name}" has no version "${versionNumber}"`
          : `Alias "${alias}" of model "${name}" points at version "${versionNumber}", which does not exist`,
      );
    }
    return alias === undefined ? { model, version } : { model, version, alias };
  }

  /** Every model the principal may see, with its aliases. */
  public async listVisible(principal: Principal): Promise<{ model: Model; aliases: Alias[] }[]> {
    const models = (await this.store.listModels()).filter((model) => canSee(principal, model));
    return Promise.all(
      models.map(async (model) => ({ model, aliases: await this.store.listAliases(model.name) })),
    );
  }

  private async versionNumber(
    name: string,
    versionOrAlias: string | undefined,
  ): Promise<{ versionNumber: string; alias?: string }> {
    if (versionOrAlias !== undefined && /^[1-9][0-9]{0,8}$/.test(versionOrAlias)) {
      return { versionNumber: versionOrAlias };
    }
    if (versionOrAlias !== undefined && !NAME_PATTERN.test(versionOrAlias)) {
      // Not a version number nor an alias name: it cannot exist, and is not looked up (a
      // key that long or odd could be refused by the store).
      throw new NotFoundError(
        'version_not_found',
        `Model "${name}" has no version or alias "${versionOrAlias.slice(0, 64)}"`,
      );
    }
    const aliasName = versionOrAlias ?? DEFAULT_ALIAS;
    const alias = await this.aliases.getOrLoad(`${name}\u0000${aliasName}`, () =>
      this.store.getAlias(name, aliasName),
    );
    if (alias === undefined) {
      throw versionOrAlias === undefined
        ? new NotFoundError('model_not_published', `Model "${name}" has no "${DEFAULT_ALIAS}" version yet`)
        : new NotFoundError(
            'version_not_found',
            `Model "${name}" has no version or alias "${versionOrAlias}"`,
          );
    }
    return { versionNumber: pickVersion(alias, this.random), alias: aliasName };
  }

  private async getVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    const key = `${name}\u0000${version}`;
    const cached = this.versions.get(key);
    if (cached !== undefined) return cached;
    const loaded = await this.store.getVersion(name, version);
    if (loaded !== undefined) this.versions.set(key, loaded);
    return loaded;
  }
}

function canSee(principal: Principal, model: Model): boolean {
  return model.visibility === 'public' || model.ownerTenantId === principal.tenantId || isAdmin(principal);
}
