import type { Alias, ApiKeyRecord, Model, ModelVersion, Tenant } from './types';

/**
 * Persistence port of the registry. The DynamoDB adapter implements it; the domain
 * never sees DynamoDB. Creation methods are conditional: they throw `ConflictError`
 * (from `../errors`) when the item exists already.
 */
export interface RegistryStore {
  createTenant(tenant: Tenant): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;

  createKey(key: ApiKeyRecord): Promise<void>;
  getKey(keyId: string): Promise<ApiKeyRecord | undefined>;
  listKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked at `at`; returns the updated record, or undefined if there is no such key. */
  revokeKey(keyId: string, at: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Makes the key expire at `at` (an ISO instant as `Date.toISOString()` writes it) unless
   * it expires earlier already: an expiry is brought forward, never extended. Returns the
   * record as it is afterwards, or undefined if there is no such key.
   */
  expireKey(keyId: string, at: string): Promise<ApiKeyRecord | undefined>;

  createModel(model: Model): Promise<void>;
  getModel(name: string): Promise<Model | undefined>;
  listModels(): Promise<Model[]>;
  /** Atomically allocates the next version number of a model (1, 2, ...). */
  allocateVersionNumber(name: string): Promise<number>;

  createVersion(version: ModelVersion): Promise<void>;
  getVersion(name: string, version: string): Promise<ModelVersion | undefined>;
  listVersions(name: string): Promise<ModelVersion[]>;

  putAlias(alias: Alias): Promise<void>;
  getAlias(name: string, alias: string): Promise<Alias | undefined>;
  listAliases(name: string): Promise<Alias[]>;
}
