import type { Alias, ApiKeyRecord, Model, ModelVersion, Plan, PlanChange, Tenant } from './types';

/**
 * Persistence port of the registry. The DynamoDB adapter implements it; the domain
 * never sees DynamoDB. Creation methods are conditional: they throw `ConflictError`
 * (from `../errors`) when the item exists already.
 */
export interface RegistryStore {
  createTenant(tenant: Tenant): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;

  /**
   * Moves a tenant to another plan from `at` on: updates the tenant (`plan`, `planSince`)
   * and records a `PlanChange`. Returns the tenant as it is afterwards, or undefined if there
   * is no such tenant.
   */
  setTenantPlan(tenantId: string, planId: string, at: string): Promise<Tenant | undefined>;
  /** A tenant's plan changes, oldest first. */
  listPlanChanges(tenantId: string): Promise<PlanChange[]>;

  createPlan(plan: Plan): Promise<void>;
  /**
   * Replaces an existing plan; throws `NotFoundError` (`plan_not_found`) when there is none.
   * With `expectedUpdatedAt`, only if the stored plan still has that `updatedAt`; otherwise
   * it throws `ConflictError` (`plan_changed`): read-modify-write updates lose nothing.
   */
  updatePlan(plan: Plan, expectedUpdatedAt?: string): Promise<void>;
  getPlan(planId: string): Promise<Plan | undefined>;
  listPlans(): Promise<Plan[]>;

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

  /**
   * Writes an alias. With `expectedRevision`, only if the stored alias is still at that
   * revision (0: there is none, or it predates revisions); otherwise it throws
   * `ConflictError` `alias_changed`. Without it, the alias is written whatever is there.
   */
  putAlias(alias: Alias, options?: { readonly expectedRevision?: number }): Promise<void>;
  getAlias(name: string, alias: string): Promise<Alias | undefined>;
  listAliases(name: string): Promise<Alias[]>;
}
