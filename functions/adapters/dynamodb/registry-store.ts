import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { pipelineSchema, type PipelineSpec } from '../../api/pipeline-schemas';
import { ConflictError, NotFoundError } from '../../core/errors';
import type { RegistryStore } from '../../core/registry/registry-store';
import {
  type Alias,
  type AliasHistoryEntry,
  type AliasRoute,
  type AliasTarget,
  type ApiKeyRecord,
  type ArtifactRef,
  type BaselineAgreement,
  type Model,
  type ModelVersion,
  type OutputAgreement,
  type Plan,
  type PlanChange,
  type Price,
  SCOPES,
  type Scope,
  type Tenant,
  TIERS,
  type Tier,
  type VersionValidation,
  type Visibility,
} from '../../core/registry/types';
import { isDatatype, type TensorSpec } from '../../core/tensors/datatypes';
import { checkStoreOptions, type DynamoStoreOptions, queryAll, resolveDocumentClient } from './client';
import { isConditionalCheckFailed, withDynamoErrors } from './errors';
import { ENTITY_TYPE_ATTRIBUTE, TABLE_DESIGN } from './table-design';

type Item = Record<string, unknown>;

const { partitionKey: PK, sortKey: SK } = TABLE_DESIGN;
const LISTING = TABLE_DESIGN.globalSecondaryIndexes.listing;

/** Versions are sort keys: zero-padded so that they sort numerically. */
const VERSION_PATTERN = /^[1-9][0-9]{0,9}$/;
const VERSION_DIGITS = 10;

/** `Date.toISOString()` output: fixed width, so that string order is time order. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Sort-key prefix of a tenant's plan change records. */
const PLAN_CHANGE_PREFIX = 'PLANCHANGE#';

/** Partitions of the listing GSI. */
const listings = {
  tenants: 'TENANTS',
  keysOf: (tenantId: string) => `TENANT#${tenantId}#KEYS`,
  models: 'MODELS',
  plans: 'PLANS',
};

/**
 * Item layout of the registry. Key items hold the key's expiry as `keyExpiresAt`, because
 * `expiresAt` is the table's TTL attribute and an expired key is kept, not deleted.
 */
const itemKeys = {
  tenant: (tenantId: string) => ({ [PK]: `TENANT#${tenantId}`, [SK]: 'TENANT' }),
  tenantListing: (tenantId: string) => ({
    [LISTING.partitionKey]: listings.tenants,
    [LISTING.sortKey]: tenantId,
  }),
  apiKey: (keyId: string) => ({ [PK]: `KEY#${keyId}`, [SK]: 'KEY' }),
  apiKeyListing: (tenantId: string, createdAt: string, keyId: string) => ({
    [LISTING.partitionKey]: listings.keysOf(tenantId),
    [LISTING.sortKey]: `${createdAt}#${keyId}`,
  }),
  model: (name: string) => ({ [PK]: `MODEL#${name}`, [SK]: 'MODEL' }),
  modelListing: (name: string) => ({ [LISTING.partitionKey]: listings.models, [LISTING.sortKey]: name }),
  version: (name: string, version: string) => ({
    [PK]: `MODEL#${name}`,
    [SK]: `VERSION#${version.padStart(VERSION_DIGITS, '0')}`,
  }),
  alias: (name: string, alias: string) => ({ [PK]: `MODEL#${name}`, [SK]: `ALIAS#${alias}` }),
  plan: (planId: string) => ({ [PK]: `PLAN#${planId}`, [SK]: 'PLAN' }),
  planListing: (planId: string) => ({ [LISTING.partitionKey]: listings.plans, [LISTING.sortKey]: planId }),
  /** In the tenant's item collection, after the tenant item; `at` is fixed-width, so time order. */
  planChange: (tenantId: string, at: string) => ({
    [PK]: `TENANT#${tenantId}`,
    [SK]: `${PLAN_CHANGE_PREFIX}${at}`,
  }),
};

/**
 * The registry (tenants, API keys, models, versions, aliases) in the single table. Every
 * write is one conditional single-item write; reads of the table are strongly consistent
 * (a revoked key is refused by the very next lookup); listings read the `listing` GSI or
 * one item collection, following every page.
 *
 * @example
 * const registry = new DynamoRegistryStore({ tableName: config.tableName, client: documentClient });
 * const key = await registry.getKey(keyId);
 */
export class DynamoRegistryStore implements RegistryStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly pageSize: number | undefined;

  public constructor(options: DynamoStoreOptions) {
    checkStoreOptions(options);
    this.client = resolveDocumentClient(options);
    this.tableName = options.tableName;
    this.pageSize = options.pageSize;
  }

  public async createTenant(tenant: Tenant): Promise<void> {
    await this.putNew(
      {
        ...itemKeys.tenant(tenant.tenantId),
        ...itemKeys.tenantListing(tenant.tenantId),
        [ENTITY_TYPE_ATTRIBUTE]: 'TENANT',
        tenantId: tenant.tenantId,
        name: tenant.name,
        plan: tenant.plan,
        planSince: tenant.planSince,
        createdAt: tenant.createdAt,
      },
      { code: 'tenant_exists', message: `tenant "${tenant.tenantId}" exists already` },
    );
  }

  public async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const item = await this.get(itemKeys.tenant(tenantId));
    return item === undefined ? undefined : toTenant(item);
  }

  public async listTenants(): Promise<Tenant[]> {
    const items = await this.queryListing(listings.tenants);
    return items.map(toTenant);
  }

  /**
   * Moves a tenant to `planId` from `at` on, with single-item conditional writes only, in an
   * order that leaves a consistent, retryable state wherever it stops:
   *
   * 1. Record the change that made the tenant's current plan, if a failure kept it from
   *    being recorded (a conditional put: a no-op when it is there).
   * 2. Update the tenant (`plan`, `planSince`, `previousPlan`), only if it is still on the
   *    plan read in step 1. The tenant item is the truth the data plane reads.
   * 3. Record this change, derived from the tenant item step 2 returned.
   *
   * A failure after step 2 leaves the tenant moved and its record missing: `listPlanChanges`
   * derives that record from the tenant item, and the next move (or a retry of this one,
   * which finds the tenant on `planId` already) writes it in step 1. So no change is ever
   * lost, and none is recorded that did not happen. `at` must be later than the current
   * plan's start (records are keyed by time); a concurrent move is a `plan_change_conflict`.
   */
  public async setTenantPlan(tenantId: string, planId: string, at: string): Promise<Tenant | undefined> {
    checkInstant(at);
    const item = await this.get(itemKeys.tenant(tenantId));
    if (item === undefined) return undefined;
    await this.recordPlanChange(currentPlanChange(item));
    const tenant = toTenant(item);
    if (tenant.plan === planId) return tenant;
    const since = tenant.planSince ?? tenant.createdAt;
    if (at <= since) {
      throw new ConflictError(
        'plan_change_conflict',
        `tenant "${tenantId}" is on plan "${tenant.plan}" since ${since}; a change at ${at} would not come after it`,
      );
    }
    const moved = await withDynamoErrors(async () => {
      try {
        const output = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: itemKeys.tenant(tenantId),
            UpdateExpression: 'SET #previousPlan = :from, #plan = :to, #planSince = :at',
            ConditionExpression:
              tenant.planSince === undefined
                ? 'attribute_exists(#pk) AND #plan = :from AND attribute_not_exists(#planSince)'
                : 'attribute_exists(#pk) AND #plan = :from AND #planSince = :since',
            ExpressionAttributeNames: {
              '#pk': PK,
              '#plan': 'plan',
              '#planSince': 'planSince',
              '#previousPlan': 'previousPlan',
            },
            ExpressionAttributeValues: {
              ':from': tenant.plan,
              ':to': planId,
              ':at': at,
              ...(tenant.planSince === undefined ? {} : { ':since': tenant.planSince }),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return output.Attributes;
      } catch (error) {
        if (isConditionalCheckFailed(error)) {
          throw new ConflictError(
            'plan_change_conflict',
            `tenant "${tenantId}" changed plan meanwhile; read it again and retry`,
            { cause: error },
          );
        }
        throw error;
      }
    });
    if (moved === undefined) throw new Error(`UpdateItem on tenant "${tenantId}" returned no attributes`);
    await this.recordPlanChange(currentPlanChange(moved));
    return toTenant(moved);
  }

  /**
   * The change records of a tenant's item collection, plus the change that made its current
   * plan when its record is missing (see `setTenantPlan`); the first is the plan it was
   * created on (`from` absent).
   */
  public async listPlanChanges(tenantId: string): Promise<PlanChange[]> {
    const [item, records] = await Promise.all([
      this.get(itemKeys.tenant(tenantId)),
      this.queryCollection(itemKeys.tenant(tenantId)[PK], PLAN_CHANGE_PREFIX),
    ]);
    const changes = records.map(toPlanChange);
    if (item !== undefined) {
      const current = currentPlanChange(item);
      if (!changes.some((change) => change.at === current.at)) changes.push(current);
    }
    return changes.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  public async createPlan(plan: Plan): Promise<void> {
    await this.putNew(
      { ...itemKeys.plan(plan.planId), ...itemKeys.planListing(plan.planId), ...planAttributes(plan) },
      { code: 'plan_exists', message: `plan "${plan.planId}" exists already` },
    );
  }

  /**
   * Replaces a plan. With `expectedUpdatedAt`, only if the stored plan still has that
   * `updatedAt` (optimistic locking of read-modify-write updates); otherwise it throws
   * `ConflictError` `plan_changed`. A missing plan is `NotFoundError` `plan_not_found`.
   */
  public async updatePlan(plan: Plan, expectedUpdatedAt?: string): Promise<void> {
    const changed = await withDynamoErrors(async () => {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...itemKeys.plan(plan.planId),
              ...itemKeys.planListing(plan.planId),
              ...planAttributes(plan),
            },
            ConditionExpression:
              expectedUpdatedAt === undefined
                ? 'attribute_exists(#pk)'
                : 'attribute_exists(#pk) AND #updatedAt = :expected',
            ExpressionAttributeNames: {
              '#pk': PK,
              ...(expectedUpdatedAt === undefined ? {} : { '#updatedAt': 'updatedAt' }),
            },
            ...(expectedUpdatedAt === undefined
              ? {}
              : { ExpressionAttributeValues: { ':expected': expectedUpdatedAt } }),
          }),
        );
        return false;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return true;
        throw error;
      }
    });
    if (!changed) return;
    if ((await this.getPlan(plan.planId)) === undefined) {
      throw new NotFoundError('plan_not_found', `plan "${plan.planId}" does not exist`);
    }
    throw new ConflictError(
      'plan_changed',
      `plan "${plan.planId}" changed meanwhile; read it again and retry`,
    );
  }

  public async getPlan(planId: string): Promise<Plan | undefined> {
    const item = await this.get(itemKeys.plan(planId));
    return item === undefined ? undefined : toPlan(item);
  }

  public async listPlans(): Promise<Plan[]> {
    const items = await this.queryListing(listings.plans);
    return items.map(toPlan);
  }

  public async createKey(key: ApiKeyRecord): Promise<void> {
    await this.putNew(
      {
        ...itemKeys.apiKey(key.keyId),
        ...itemKeys.apiKeyListing(key.tenantId, key.createdAt, key.keyId),
        [ENTITY_TYPE_ATTRIBUTE]: 'KEY',
        keyId: key.keyId,
        tenantId: key.tenantId,
        hash: key.hash,
        scopes: [...key.scopes],
        createdAt: key.createdAt,
        keyExpiresAt: key.expiresAt,
        revokedAt: key.revokedAt,
        name: key.name,
      },
      { code: 'key_exists', message: `key "${key.keyId}" exists already` },
    );
  }

  public async getKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    const item = await this.get(itemKeys.apiKey(keyId));
    return item === undefined ? undefined : toApiKey(item);
  }

  public async listKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const items = await this.queryListing(listings.keysOf(tenantId));
    return items.map(toApiKey);
  }

  public async revokeKey(keyId: string, at: string): Promise<ApiKeyRecord | undefined> {
    return withDynamoErrors(async () => {
      try {
        const output = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: itemKeys.apiKey(keyId),
            // The first revocation time stands; revoking twice changes nothing.
            UpdateExpression: 'SET #revokedAt = if_not_exists(#revokedAt, :at)',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#revokedAt': 'revokedAt', '#pk': PK },
            ExpressionAttributeValues: { ':at': at },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return output.Attributes === undefined ? undefined : toApiKey(output.Attributes);
      } catch (error) {
        if (isConditionalCheckFailed(error)) return undefined;
        throw error;
      }
    });
  }

  public async expireKey(keyId: string, at: string): Promise<ApiKeyRecord | undefined> {
    if (!ISO_INSTANT.test(at) || Number.isNaN(Date.parse(at))) {
      throw new RangeError(`at must be an instant as Date.toISOString() writes it, got "${at}"`);
    }
    const updated = await withDynamoErrors(async () => {
      try {
        const output = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: itemKeys.apiKey(keyId),
            UpdateExpression: 'SET #keyExpiresAt = :at',
            // Instants in one fixed-width UTC format compare as strings: only ever earlier.
            ConditionExpression:
              'attribute_exists(#pk) AND (attribute_not_exists(#keyExpiresAt) OR #keyExpiresAt > :at)',
            ExpressionAttributeNames: { '#keyExpiresAt': 'keyExpiresAt', '#pk': PK },
            ExpressionAttributeValues: { ':at': at },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return output.Attributes === undefined ? undefined : toApiKey(output.Attributes);
      } catch (error) {
        if (isConditionalCheckFailed(error)) return null;
        throw error;
      }
    });
    // No such key, or it expires at `at` or earlier already: what is stored stands.
    return updated === null ? this.getKey(keyId) : updated;
  }

  public async createModel(model: Model): Promise<void> {
    await this.putNew(
      {
        ...itemKeys.model(model.name),
        ...itemKeys.modelListing(model.name),
        [ENTITY_TYPE_ATTRIBUTE]: 'MODEL',
        name: model.name,
        visibility: model.visibility,
        ownerTenantId: model.ownerTenantId,
        description: model.description,
        createdAt: model.createdAt,
        latestVersion: model.latestVersion,
      },
      { code: 'model_exists', message: `model "${model.name}" exists already` },
    );
  }

  public async getModel(name: string): Promise<Model | undefined> {
    const item = await this.get(itemKeys.model(name));
    return item === undefined ? undefined : toModel(item);
  }

  public async listModels(): Promise<Model[]> {
    const items = await this.queryListing(listings.models);
    return items.map(toModel);
  }

  public async allocateVersionNumber(name: string): Promise<number> {
    return withDynamoErrors(async () => {
      try {
        const output = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: itemKeys.model(name),
            UpdateExpression: 'ADD #latestVersion :one',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#latestVersion': 'latestVersion', '#pk': PK },
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return readNumber(output.Attributes ?? {}, 'latestVersion');
      } catch (error) {
        if (isConditionalCheckFailed(error)) {
          throw new NotFoundError('model_not_found', `model "${name}" does not exist`, { cause: error });
        }
        throw error;
      }
    });
  }

  public async createVersion(version: ModelVersion): Promise<void> {
    await this.putNew(
      {
        ...itemKeys.version(version.modelName, checkVersion(version.version)),
        [ENTITY_TYPE_ATTRIBUTE]: 'VERSION',
        modelName: version.modelName,
        version: version.version,
        tier: version.tier,
        artifact: { sha256: version.artifact.sha256, size: version.artifact.size, key: version.artifact.key },
        inputs: version.inputs.map(toSpecAttribute),
        outputs: version.outputs.map(toSpecAttribute),
        opset: version.opset,
        createdAt: version.createdAt,
        endpointName: version.endpointName,
        targetModel: version.targetModel,
        inferenceComponent: version.inferenceComponent,
        pipeline: version.pipeline,
        validation: version.validation === undefined ? undefined : toValidationAttribute(version.validation),
        agreement: version.agreement === undefined ? undefined : toAgreementAttribute(version.agreement),
      },
      {
        code: 'version_exists',
        message: `version ${version.version} of model "${version.modelName}" exists already`,
      },
    );
  }

  public async getVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    if (!VERSION_PATTERN.test(version)) return undefined;
    const item = await this.get(itemKeys.version(name, version));
    return item === undefined ? undefined : toModelVersion(item);
  }

  public async listVersions(name: string): Promise<ModelVersion[]> {
    const items = await this.queryCollection(itemKeys.model(name)[PK], 'VERSION#');
    return items.map(toModelVersion);
  }

  public async putAlias(alias: Alias, options: { readonly expectedRevision?: number } = {}): Promise<void> {
    const expected = options.expectedRevision;
    // Optimistic locking on `revision`: an alias written before revisions existed has none.
    const condition =
      expected === undefined
        ? {}
        : expected === 0
          ? {
              ConditionExpression: 'attribute_not_exists(#revision)',
              ExpressionAttributeNames: { '#revision': 'revision' },
            }
          : {
              ConditionExpression: '#revision = :expected',
              ExpressionAttributeNames: { '#revision': 'revision' },
              ExpressionAttributeValues: { ':expected': expected },
            };
    await withDynamoErrors(
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...itemKeys.alias(alias.modelName, alias.alias),
              [ENTITY_TYPE_ATTRIBUTE]: 'ALIAS',
              modelName: alias.modelName,
              alias: alias.alias,
              ...aliasTargetAttributes(alias),
              updatedAt: alias.updatedAt,
              revision: alias.revision,
              history: alias.history?.map((entry) => ({
                ...aliasTargetAttributes(entry),
                updatedAt: entry.updatedAt,
              })),
            },
            ...condition,
          }),
        ),
      {
        code: 'alias_changed',
        message: `alias "${alias.alias}" of model "${alias.modelName}" changed meanwhile; read it again and retry`,
      },
    );
  }

  public async getAlias(name: string, alias: string): Promise<Alias | undefined> {
    const item = await this.get(itemKeys.alias(name, alias));
    return item === undefined ? undefined : toAlias(item);
  }

  public async listAliases(name: string): Promise<Alias[]> {
    const items = await this.queryCollection(itemKeys.model(name)[PK], 'ALIAS#');
    return items.map(toAlias);
  }

  /** Writes an item that must not exist yet. */
  private async putNew(item: Item, conflict: { code: string; message: string }): Promise<void> {
    await withDynamoErrors(
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        ),
      conflict,
    );
  }

  /** Writes a tenant's plan change record unless it is there already (it never changes). */
  private async recordPlanChange(change: PlanChange): Promise<void> {
    await withDynamoErrors(async () => {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...itemKeys.planChange(change.tenantId, change.at),
              [ENTITY_TYPE_ATTRIBUTE]: 'PLAN_CHANGE',
              tenantId: change.tenantId,
              from: change.from,
              to: change.to,
              at: change.at,
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    });
  }

  private async get(key: Item): Promise<Item | undefined> {
    const output = await withDynamoErrors(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    return output.Item;
  }

  /** One partition of the listing GSI (eventually consistent, as every GSI). */
  private async queryListing(partition: string): Promise<Item[]> {
    return this.queryAll({
      TableName: this.tableName,
      IndexName: LISTING.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': LISTING.partitionKey },
      ExpressionAttributeValues: { ':pk': partition },
    });
  }

  /** The items of one table partition whose sort key starts with `prefix`. */
  private async queryCollection(partition: string, prefix: string): Promise<Item[]> {
    return this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix },
      ConsistentRead: true,
    });
  }

  private queryAll(input: QueryCommandInput): Promise<Item[]> {
    return queryAll(this.client, this.pageSize, input);
  }
}

function checkVersion(version: string): string {
  if (!VERSION_PATTERN.test(version)) {
    throw new RangeError(
      `version.version must be a decimal version number ("1", "2", ...), got "${version}"`,
    );
  }
  return version;
}

function toSpecAttribute(spec: TensorSpec): Item {
  return { name: spec.name, datatype: spec.datatype, shape: [...spec.shape] };
}

// Items are read back field by field: key attributes stay behind, and a malformed item
// fails loudly here instead of deep inside the domain.

function corrupt(item: Item, name: string, expected: string): Error {
  return new Error(`item ${String(item[PK])}/${String(item[SK])}: attribute "${name}" is not ${expected}`);
}

function readString(item: Item, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw corrupt(item, name, 'a string');
  return value;
}

function readOptionalString(item: Item, name: string): string | undefined {
  return item[name] === undefined ? undefined : readString(item, name);
}

function readNumber(item: Item, name: string): number {
  const value = item[name];
  if (typeof value !== 'number') throw corrupt(item, name, 'a number');
  return value;
}

function readOneOf<T extends string>(item: Item, name: string, allowed: readonly T[]): T {
  const value = item[name];
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) throw corrupt(item, name, `one of ${allowed.join(', ')}`);
  return match;
}

function readItems(item: Item, name: string): Item[] {
  const value = item[name];
  if (!Array.isArray(value)) throw corrupt(item, name, 'a list');
  return value.map((element: unknown) => {
    if (typeof element !== 'object' || element === null || Array.isArray(element)) {
      throw corrupt(item, name, 'a list of maps');
    }
    return { ...element };
  });
}

function readItem(item: Item, name: string): Item {
  const value = item[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(item, name, 'a map');
  return { ...value };
}

function toTenant(item: Item): Tenant {
  const planSince = readOptionalString(item, 'planSince');
  return {
    tenantId: readString(item, 'tenantId'),
    name: readString(item, 'name'),
    plan: readString(item, 'plan'),
    ...(planSince === undefined ? {} : { planSince }),
    createdAt: readString(item, 'createdAt'),
  };
}

function toApiKey(item: Item): ApiKeyRecord {
  const scopesValue = item.scopes;
  if (!Array.isArray(scopesValue)) throw corrupt(item, 'scopes', 'a list');
  const scopes = scopesValue.map((scope: unknown): Scope => {
    const match = SCOPES.find((candidate) => candidate === scope);
    if (match === undefined) throw corrupt(item, 'scopes', `a list of ${SCOPES.join(', ')}`);
    return match;
  });
  const expiresAt = readOptionalString(item, 'keyExpiresAt');
  const revokedAt = readOptionalString(item, 'revokedAt');
  const name = readOptionalString(item, 'name');
  return {
    keyId: readString(item, 'keyId'),
    tenantId: readString(item, 'tenantId'),
    hash: readString(item, 'hash'),
    scopes,
    createdAt: readString(item, 'createdAt'),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(revokedAt === undefined ? {} : { revokedAt }),
    ...(name === undefined ? {} : { name }),
  };
}

function toModel(item: Item): Model {
  const visibility: Visibility = readOneOf(item, 'visibility', ['public', 'private']);
  const ownerTenantId = readOptionalString(item, 'ownerTenantId');
  const description = readOptionalString(item, 'description');
  return {
    name: readString(item, 'name'),
    visibility,
    ...(ownerTenantId === undefined ? {} : { ownerTenantId }),
    ...(description === undefined ? {} : { description }),
    createdAt: readString(item, 'createdAt'),
    latestVersion: readNumber(item, 'latestVersion'),
  };
}

function toTensorSpec(item: Item, listName: string) {
  return (spec: Item): TensorSpec => {
    const { shape, datatype } = spec;
    if (
      !isDatatype(datatype) ||
      !Array.isArray(shape) ||
      !shape.every((dim: unknown) => typeof dim === 'number')
    ) {
      throw corrupt(item, listName, 'a list of tensor specs');
    }
    return { name: readString(spec, 'name'), datatype, shape: [...shape] };
  };
}

function toArtifact(artifact: Item): ArtifactRef {
  return {
    sha256: readString(artifact, 'sha256'),
    size: readNumber(artifact, 'size'),
    key: readString(artifact, 'key'),
  };
}

function toModelVersion(item: Item): ModelVersion {
  const tier: Tier = readOneOf(item, 'tier', TIERS);
  const opset = item.opset === undefined ? undefined : readNumber(item, 'opset');
  const endpointName = readOptionalString(item, 'endpointName');
  const targetModel = readOptionalString(item, 'targetModel');
  const inferenceComponent = readOptionalString(item, 'inferenceComponent');
  const pipeline = item.pipeline === undefined ? undefined : readPipeline(item);
  const validation = item.validation === undefined ? undefined : toValidation(readItem(item, 'validation'));
  const agreement = item.agreement === undefined ? undefined : toAgreement(readItem(item, 'agreement'));
  return {
    modelName: readString(item, 'modelName'),
    version: readString(item, 'version'),
    tier,
    artifact: toArtifact(readItem(item, 'artifact')),
    inputs: readItems(item, 'inputs').map(toTensorSpec(item, 'inputs')),
    outputs: readItems(item, 'outputs').map(toTensorSpec(item, 'outputs')),
    ...(opset === undefined ? {} : { opset }),
    createdAt: readString(item, 'createdAt'),
    ...(endpointName === undefined ? {} : { endpointName }),
    ...(targetModel === undefined ? {} : { targetModel }),
    ...(inferenceComponent === undefined ? {} : { inferenceComponent }),
    ...(pipeline === undefined ? {} : { pipeline }),
    ...(validation === undefined ? {} : { validation }),
    ...(agreement === undefined ? {} : { agreement }),
  };
}

function toValidationAttribute(validation: VersionValidation): Item {
  return {
    runtime: validation.runtime,
    sample: validation.sample.map((input) => ({ name: input.name, shape: [...input.shape] })),
  };
}

function toAgreementAttribute(agreement: BaselineAgreement): Item {
  return {
    baselineVersion: agreement.baselineVersion,
    samples: agreement.samples,
    seed: agreement.seed,
    outputs: agreement.outputs.map((output) => ({ ...output })),
  };
}

function toValidation(validation: Item): VersionValidation {
  return {
    runtime: readString(validation, 'runtime'),
    sample: readItems(validation, 'sample').map((input) => {
      const shape = input.shape;
      if (!Array.isArray(shape) || !shape.every((dim: unknown) => typeof dim === 'number')) {
        throw corrupt(validation, 'sample', 'a list of {name, shape}');
      }
      return { name: readString(input, 'name'), shape: [...shape] };
    }),
  };
}

function toAgreement(agreement: Item): BaselineAgreement {
  return {
    baselineVersion: readString(agreement, 'baselineVersion'),
    samples: readNumber(agreement, 'samples'),
    seed: readNumber(agreement, 'seed'),
    outputs: readItems(agreement, 'outputs').map((output): OutputAgreement => {
      const topOneAgreement =
        output.topOneAgreement === undefined ? undefined : readNumber(output, 'topOneAgreement');
      const rows = output.rows === undefined ? undefined : readNumber(output, 'rows');
      return {
        output: readString(output, 'output'),
        maxAbsDiff: readNumber(output, 'maxAbsDiff'),
        nonFiniteMismatches: readNumber(output, 'nonFiniteMismatches'),
        ...(topOneAgreement === undefined ? {} : { topOneAgreement }),
        ...(rows === undefined ? {} : { rows }),
      };
    }),
  };
}

/** A version's pipeline, checked by the schema that admitted it. */
function readPipeline(item: Item): PipelineSpec {
  const parsed = pipelineSchema.safeParse(item.pipeline);
  if (!parsed.success) throw corrupt(item, 'pipeline', 'a pipeline');
  return parsed.data;
}

/** `version` and, for a weighted target, `routes` (a list of {version, weight}). */
function aliasTargetAttributes(target: AliasTarget): Item {
  return {
    version: target.version,
    routes: target.routes?.map((route) => ({ version: route.version, weight: route.weight })),
  };
}

/** The target in `source`: the alias item itself or one of its history entries (`item` names it in errors). */
function toAliasTarget(item: Item, source: Item, name: string): AliasTarget {
  const malformed = () =>
    corrupt(item, name, 'a target: a "version" string and "routes" of {version, weight}');
  const { version, routes } = source;
  if (typeof version !== 'string') throw malformed();
  if (routes === undefined) return { version };
  if (!Array.isArray(routes)) throw malformed();
  return {
    version,
    routes: routes.map((element: unknown): AliasRoute => {
      if (typeof element !== 'object' || element === null) throw malformed();
      const route: Item = { ...element };
      if (typeof route.version !== 'string' || typeof route.weight !== 'number') throw malformed();
      return { version: route.version, weight: route.weight };
    }),
  };
}

function toAlias(item: Item): Alias {
  const revision = item.revision === undefined ? undefined : readNumber(item, 'revision');
  const history =
    item.history === undefined
      ? undefined
      : readItems(item, 'history').map((entry): AliasHistoryEntry => {
          if (typeof entry.updatedAt !== 'string') throw corrupt(item, 'history', 'a list of dated targets');
          return { ...toAliasTarget(item, entry, 'history'), updatedAt: entry.updatedAt };
        });
  return {
    modelName: readString(item, 'modelName'),
    alias: readString(item, 'alias'),
    ...toAliasTarget(item, item, 'routes'),
    updatedAt: readString(item, 'updatedAt'),
    ...(revision === undefined ? {} : { revision }),
    ...(history === undefined ? {} : { history }),
  };
}

function checkInstant(at: string): void {
  if (!ISO_INSTANT.test(at) || Number.isNaN(Date.parse(at))) {
    throw new RangeError(`at must be an instant as Date.toISOString() writes it, got "${at}"`);
  }
}

/**
 * The change that put a tenant on its current plan, read from the tenant item: its
 * `previousPlan` (absent until the first change), `plan` and `planSince` (absent on
 * tenants created before plans had a start: their creation time).
 */
function currentPlanChange(item: Item): PlanChange {
  const from = readOptionalString(item, 'previousPlan');
  return {
    tenantId: readString(item, 'tenantId'),
    ...(from === undefined ? {} : { from }),
    to: readString(item, 'plan'),
    at: readOptionalString(item, 'planSince') ?? readString(item, 'createdAt'),
  };
}

function toPlanChange(item: Item): PlanChange {
  const from = readOptionalString(item, 'from');
  return {
    tenantId: readString(item, 'tenantId'),
    ...(from === undefined ? {} : { from }),
    to: readString(item, 'to'),
    at: readString(item, 'at'),
  };
}

function priceAttributes(price: Price): Item {
  return { perThousandRequests: price.perThousandRequests, perComputeSecond: price.perComputeSecond };
}

/** A plan's attributes, copied field by field so that nothing else reaches the item. */
function planAttributes(plan: Plan): Item {
  const models = plan.prices.models;
  return {
    [ENTITY_TYPE_ATTRIBUTE]: 'PLAN',
    planId: plan.planId,
    description: plan.description,
    monthlyQuota: plan.monthlyQuota,
    rateLimit:
      plan.rateLimit === undefined
        ? undefined
        : { requestsPerSecond: plan.rateLimit.requestsPerSecond, burst: plan.rateLimit.burst },
    allowedTiers: [...plan.allowedTiers],
    allowedModels: plan.allowedModels === undefined ? undefined : [...plan.allowedModels],
    maxPayloadBytes: plan.maxPayloadBytes,
    currency: plan.currency,
    prices: {
      tiers: Object.fromEntries(TIERS.map((tier) => [tier, priceAttributes(plan.prices.tiers[tier])])),
      models:
        models === undefined
          ? undefined
          : Object.fromEntries(Object.entries(models).map(([name, price]) => [name, priceAttributes(price)])),
    },
    createdAt: plan.createdAt,
    updatedAt: plan.updatedAt,
  };
}

function readStrings(item: Item, name: string): string[] {
  const value = item[name];
  if (!Array.isArray(value) || !value.every((element: unknown) => typeof element === 'string')) {
    throw corrupt(item, name, 'a list of strings');
  }
  return [...value];
}

function toPrice(item: Item): Price {
  return {
    perThousandRequests: readString(item, 'perThousandRequests'),
    perComputeSecond: readString(item, 'perComputeSecond'),
  };
}

function toPlan(item: Item): Plan {
  const description = readOptionalString(item, 'description');
  const monthlyQuota = item.monthlyQuota === undefined ? undefined : readNumber(item, 'monthlyQuota');
  const rateLimitItem = item.rateLimit === undefined ? undefined : readItem(item, 'rateLimit');
  const allowedTiers = readStrings(item, 'allowedTiers').map((tier): Tier => {
    const match = TIERS.find((candidate) => candidate === tier);
    if (match === undefined) throw corrupt(item, 'allowedTiers', `a list of ${TIERS.join(', ')}`);
    return match;
  });
  const allowedModels = item.allowedModels === undefined ? undefined : readStrings(item, 'allowedModels');
  const prices = readItem(item, 'prices');
  const tierPrices = readItem(prices, 'tiers');
  const lambda = toPrice(readItem(tierPrices, 'lambda'));
  const sagemaker = toPrice(readItem(tierPrices, 'sagemaker'));
  const modelItems = prices.models === undefined ? undefined : readItem(prices, 'models');
  const models =
    modelItems === undefined
      ? undefined
      : Object.fromEntries(
          Object.keys(modelItems).map((name) => [name, toPrice(readItem(modelItems, name))]),
        );
  return {
    planId: readString(item, 'planId'),
    ...(description === undefined ? {} : { description }),
    ...(monthlyQuota === undefined ? {} : { monthlyQuota }),
    ...(rateLimitItem === undefined
      ? {}
      : {
          rateLimit: {
            requestsPerSecond: readNumber(rateLimitItem, 'requestsPerSecond'),
            burst: readNumber(rateLimitItem, 'burst'),
          },
        }),
    allowedTiers,
    ...(allowedModels === undefined ? {} : { allowedModels }),
    maxPayloadBytes: readNumber(item, 'maxPayloadBytes'),
    currency: readString(item, 'currency'),
    prices: { tiers: { lambda, sagemaker }, ...(models === undefined ? {} : { models }) },
    createdAt: readString(item, 'createdAt'),
    updatedAt: readString(item, 'updatedAt'),
  };
}
