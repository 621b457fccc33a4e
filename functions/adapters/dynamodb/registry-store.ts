import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../core/errors';
import type { RegistryStore } from '../../core/registry/registry-store';
import {
  type Alias,
  type ApiKeyRecord,
  type ArtifactRef,
  type Model,
  type ModelVersion,
  SCOPES,
  type Scope,
  type Tenant,
  TIERS,
  type Tier,
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

/** Partitions of the listing GSI. */
const listings = {
  tenants: 'TENANTS',
  keysOf: (tenantId: string) => `TENANT#${tenantId}#KEYS`,
  models: 'MODELS',
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

  public async putAlias(alias: Alias): Promise<void> {
    await withDynamoErrors(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...itemKeys.alias(alias.modelName, alias.alias),
            [ENTITY_TYPE_ATTRIBUTE]: 'ALIAS',
            modelName: alias.modelName,
            alias: alias.alias,
            version: alias.version,
            updatedAt: alias.updatedAt,
          },
        }),
      ),
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
  return {
    tenantId: readString(item, 'tenantId'),
    name: readString(item, 'name'),
    plan: readString(item, 'plan'),
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
  };
}

function toAlias(item: Item): Alias {
  return {
    modelName: readString(item, 'modelName'),
    alias: readString(item, 'alias'),
    version: readString(item, 'version'),
    updatedAt: readString(item, 'updatedAt'),
  };
}
