import { createHash, randomBytes } from 'node:crypto';
import { MAX_ARTIFACT_BYTES, OPERATOR_TENANT_ID } from '../../constants';
import type {
  CreateKeyRequest,
  CreateModelRequest,
  CreateTenantRequest,
  CreatedKey,
  RotatedKey,
  UploadTicket,
} from '../../api/schemas';
import type { KeySummary, ModelDetail, UsageReport } from '../../api/views';
import { artifactKey, uploadKey, type ArtifactStore } from '../artifacts';
import { BadRequestError, ConflictError, InfergateError, NotFoundError } from '../errors';
import { generateApiKey } from '../keys/api-key';
import { totalsOf } from '../metering/report';
import type { UsageStore } from '../metering/types';
import type { RegistryStore } from '../registry/registry-store';
import type { Alias, ApiKeyRecord, Model, ModelVersion, Scope, Tenant, Tier } from '../registry/types';
import type { TensorSpec } from '../tensors/datatypes';

/** What registration needs to know of a model file (read without running it). */
export interface ModelSchema {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly opset?: number;
}

export interface AdminServiceOptions {
  readonly store: RegistryStore;
  readonly artifacts: ArtifactStore;
  readonly usage: UsageStore;
  /** Parses a model file; throws `BadRequestError` for files that are not valid models. */
  readonly readSchema: (bytes: Uint8Array) => ModelSchema;
  readonly uploadUrlTtlSeconds: number;
  readonly now?: () => Date;
}

const DEFAULT_SCOPES: readonly Scope[] = ['infer', 'models:read', 'usage:read'];

/**
 * The control plane's use cases: tenants, keys, uploads, models, versions, aliases and
 * usage reports. Pure apart from the ports it is given.
 */
export class AdminService {
  private readonly options: AdminServiceOptions;
  private readonly now: () => Date;

  public constructor(options: AdminServiceOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  public async createTenant(request: CreateTenantRequest): Promise<Tenant> {
    const tenant: Tenant = {
      tenantId: `t_${randomBytes(8).toString('hex')}`,
      name: request.name,
      plan: request.plan ?? 'free',
      createdAt: this.now().toISOString(),
    };
    await this.options.store.createTenant(tenant);
    return tenant;
  }

  public listTenants(): Promise<Tenant[]> {
    return this.options.store.listTenants();
  }

  public async getTenant(tenantId: string): Promise<Tenant> {
    const tenant = await this.options.store.getTenant(tenantId);
    if (tenant === undefined)
      throw new NotFoundError('tenant_not_found', `Tenant "${tenantId}" was not found`);
    return tenant;
  }

  /** Creates a key; the plaintext is in the result and nowhere else. */
  public async createKey(request: CreateKeyRequest): Promise<CreatedKey> {
    const scopes = request.scopes ?? DEFAULT_SCOPES;
    if (request.tenantId === OPERATOR_TENANT_ID) {
      if (!scopes.includes('admin')) {
        throw new BadRequestError(
          'invalid_scope',
          `Keys of "${OPERATOR_TENANT_ID}" are admin keys: include "admin"`,
        );
      }
    } else {
      if (scopes.includes('admin')) {
        throw new BadRequestError(
          'invalid_scope',
          `Only "${OPERATOR_TENANT_ID}" keys may have the "admin" scope; tenant keys may have infer, models:read, usage:read`,
        );
      }
      await this.getTenant(request.tenantId);
    }
    const now = this.now();
    const { key, record } = await this.issueKey(
      { tenantId: request.tenantId, scopes, name: request.name },
      request.expiresAt,
      now,
    );
    return {
      key,
      keyId: record.keyId,
      tenantId: record.tenantId,
      scopes: record.scopes,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
    };
  }

  /**
   * Replaces a key with a new one of the same tenant, scopes and name (the plaintext is in
   * the result and nowhere else). The old key keeps working for `overlapSeconds`, or until
   * it would have expired if that is sooner; a revoked or expired key cannot be rotated.
   * The new key expires at `expiresAt`, or never.
   */
  public async rotateKey(
    keyId: string,
    request: { overlapSeconds: number; expiresAt?: string },
  ): Promise<RotatedKey> {
    const { store } = this.options;
    const old = await store.getKey(keyId);
    if (old === undefined) throw new NotFoundError('key_not_found', `Key "${keyId}" was not found`);
    const now = this.now();
    if (old.revokedAt !== undefined && Date.parse(old.revokedAt) <= now.getTime()) {
      throw new ConflictError('key_inactive', `Key "${keyId}" is revoked: create a new key instead`);
    }
    if (old.expiresAt !== undefined && Date.parse(old.expiresAt) <= now.getTime()) {
      throw new ConflictError('key_inactive', `Key "${keyId}" has expired: create a new key instead`);
    }
    // The new key first: if expiring the old one then fails, the tenant still has a working key.
    const { key, record } = await this.issueKey(old, request.expiresAt, now);
    const until = new Date(now.getTime() + request.overlapSeconds * 1000).toISOString();
    const replaced = await store.expireKey(keyId, until);
    if (replaced === undefined) throw new NotFoundError('key_not_found', `Key "${keyId}" was not found`);
    return {
      key,
      keyId: record.keyId,
      tenantId: record.tenantId,
      scopes: record.scopes,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      ...(record.name === undefined ? {} : { name: record.name }),
      replaced: { keyId, expiresAt: replaced.expiresAt ?? until },
    };
  }

  /** Generates and stores a key; `expiresAt` must be in the future. */
  private async issueKey(
    owner: Pick<ApiKeyRecord, 'tenantId' | 'scopes' | 'name'>,
    expiresAt: string | undefined,
    now: Date,
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    if (expiresAt !== undefined && Date.parse(expiresAt) <= now.getTime()) {
      throw new BadRequestError('invalid_expiry', `"expiresAt" must be in the future, got ${expiresAt}`);
    }
    const generated = generateApiKey();
    const record: ApiKeyRecord = {
      keyId: generated.keyId,
      tenantId: owner.tenantId,
      hash: generated.hash,
      scopes: [...new Set(owner.scopes)],
      createdAt: now.toISOString(),
      expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt).toISOString(),
      name: owner.name,
    };
    await this.options.store.createKey(record);
    return { key: generated.key, record };
  }

  public async listKeys(tenantId: string): Promise<KeySummary[]> {
    return (await this.options.store.listKeys(tenantId)).map(summarizeKey);
  }

  public async revokeKey(keyId: string): Promise<KeySummary> {
    const revoked = await this.options.store.revokeKey(keyId, this.now().toISOString());
    if (revoked === undefined) throw new NotFoundError('key_not_found', `Key "${keyId}" was not found`);
    return summarizeKey(revoked);
  }

  /** Step one of an upload: a URL that accepts one PUT of the model file. */
  public async createUpload(size?: number): Promise<UploadTicket> {
    if (size !== undefined && size > MAX_ARTIFACT_BYTES) {
      throw tooLarge(size);
    }
    const uploadId = randomBytes(16).toString('hex');
    const ttl = this.options.uploadUrlTtlSeconds;
    const url = await this.options.artifacts.createUploadUrl(uploadKey(uploadId), ttl);
    return {
      uploadId,
      url,
      method: 'PUT',
      expiresAt: new Date(this.now().getTime() + ttl * 1000).toISOString(),
    };
  }

  public async createModel(request: CreateModelRequest): Promise<Model> {
    if (request.visibility === 'private') {
      if (request.ownerTenantId === undefined) {
        throw new BadRequestError(
          'owner_required',
          'A private model needs "ownerTenantId": the tenant that may use it',
        );
      }
      await this.getTenant(request.ownerTenantId);
    } else if (request.ownerTenantId !== undefined) {
      throw new BadRequestError('invalid_request', 'A public model has no "ownerTenantId"');
    }
    const model: Model = {
      name: request.name,
      visibility: request.visibility,
      ownerTenantId: request.ownerTenantId,
      description: request.description,
      createdAt: this.now().toISOString(),
      latestVersion: 0,
    };
    await this.options.store.createModel(model);
    return model;
  }

  public listModels(): Promise<Model[]> {
    return this.options.store.listModels();
  }

  public async getModel(name: string): Promise<ModelDetail> {
    const model = await this.requireModel(name);
    const [versions, aliases] = await Promise.all([
      this.options.store.listVersions(name),
      this.options.store.listAliases(name),
    ]);
    return { model, versions, aliases };
  }

  public async listVersions(name: string): Promise<ModelVersion[]> {
    await this.requireModel(name);
    return this.options.store.listVersions(name);
  }

  /**
   * Step two of an upload: validates the uploaded file, stores it content-addressed and
   * registers an immutable version. Nothing is registered when validation fails.
   */
  public async createVersion(name: string, uploadId: string, tier: Tier): Promise<ModelVersion> {
    await this.requireModel(name);
    if (tier !== 'lambda') {
      throw new BadRequestError(
        'unsupported_tier',
        `Tier "${tier}" is not available in this deployment; use "lambda"`,
      );
    }
    const { artifacts } = this.options;
    const pending = uploadKey(uploadId);
    const head = await artifacts.head(pending);
    if (head === undefined) {
      throw new BadRequestError(
        'upload_not_found',
        `No file was uploaded for upload "${uploadId}"; PUT it to the upload URL first`,
      );
    }
    if (head.size > MAX_ARTIFACT_BYTES) throw tooLarge(head.size);
    const bytes = await artifacts.get(pending);
    const schema = this.options.readSchema(bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = artifactKey(sha256);
    if ((await artifacts.head(key)) === undefined) {
      await artifacts.put(key, bytes);
    }
    const number = await this.options.store.allocateVersionNumber(name);
    const version: ModelVersion = {
      modelName: name,
      version: String(number),
      tier,
      artifact: { sha256, size: bytes.byteLength, key },
      inputs: schema.inputs,
      outputs: schema.outputs,
      opset: schema.opset,
      createdAt: this.now().toISOString(),
    };
    await this.options.store.createVersion(version);
    await artifacts.delete(pending);
    return version;
  }

  public async setAlias(name: string, alias: string, version: string): Promise<Alias> {
    await this.requireModel(name);
    if (/^[0-9]+$/.test(alias)) {
      throw new BadRequestError(
        'invalid_alias',
        `Alias "${alias}" is a number; aliases are names like "prod"`,
      );
    }
    if ((await this.options.store.getVersion(name, version)) === undefined) {
      throw new NotFoundError('version_not_found', `Model "${name}" has no version "${version}"`);
    }
    const record: Alias = { modelName: name, alias, version, updatedAt: this.now().toISOString() };
    await this.options.store.putAlias(record);
    return record;
  }

  public async usage(month: string, tenantId?: string): Promise<UsageReport> {
    const rows =
      tenantId === undefined
        ? await this.options.usage.listMonth(month)
        : await this.options.usage.listTenantMonth(tenantId, month);
    return { month, tenantId, rows, totals: totalsOf(rows) };
  }

  private async requireModel(name: string): Promise<Model> {
    const model = await this.options.store.getModel(name);
    if (model === undefined) throw new NotFoundError('model_not_found', `Model "${name}" was not found`);
    return model;
  }
}

function summarizeKey(record: ApiKeyRecord): KeySummary {
  const { hash: _hash, ...summary } = record;
  return summary;
}

function tooLarge(size: number): InfergateError {
  return new InfergateError(
    413,
    'artifact_too_large',
    `The model file is ${size} bytes; the limit is ${MAX_ARTIFACT_BYTES} bytes`,
  );
}
