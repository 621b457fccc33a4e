import { createHash, randomBytes } from 'node:crypto';
import { OPERATOR_TENANT_ID } from '../../constants';
import type {
  CreateKeyRequest,
  CreateModelRequest,
  CreateTenantRequest,
  CreatedKey,
  PipelineSpec,
  RotatedKey,
  UploadTicket,
} from '../../api/schemas';
import type { KeySummary, ModelDetail, UsageReport } from '../../api/views';
import { artifactKey, uploadKey, type ArtifactStore } from '../artifacts';
import type { GpuEndpointRef } from '../endpoints';
import { BadRequestError, ConflictError, InfergateError, NotFoundError } from '../errors';
import { generateApiKey } from '../keys/api-key';
import { checkPipeline } from '../pipelines/check-pipeline';
import { invalidPipeline } from '../pipelines/errors';
import { DEFAULT_PLAN_ID } from '../plans/default-plans';
import { PlanService } from './plan-service';
import { chooseGpuEndpoint, type GpuServingFields, placeOnGpuEndpoint } from './sagemaker-registration';
import { totalsOf } from '../metering/report';
import type { UsageStore } from '../metering/types';
import { changedAlias, revisionOf, rolledBackAlias } from '../registry/alias-history';
import { sameTarget, targetOfRoutes, versionsOf } from '../registry/alias-routes';
import type { AliasRoute, AliasTarget } from '../registry/types';
import type { RegistryStore } from '../registry/registry-store';
import type {
  Alias,
  ApiKeyRecord,
  ArtifactRef,
  Model,
  ModelVersion,
  Scope,
  Tenant,
  Tier,
} from '../registry/types';
import type { TensorSpec } from '../tensors/datatypes';
import type { Baseline, ModelValidator } from '../validation';

export interface AdminServiceOptions {
  readonly store: RegistryStore;
  readonly artifacts: ArtifactStore;
  readonly usage: UsageStore;
  /**
   * The registration gate: size, parse, load and a sample run on the tier's runtime, and
   * the agreement with a baseline version.
   */
  readonly validator: ModelValidator;
  /**
   * Called when removing an object that a registration wrote fails (the upload after a
   * registration, an artifact copy after a failed one). The object stays behind; pending
   * uploads expire by the bucket's lifecycle rule.
   * @default ignores the failure
   */
  readonly onCleanupError?: (error: unknown, key: string) => void;
  readonly uploadUrlTtlSeconds: number;
  /**
   * The GPU endpoints that versions of tier `sagemaker` are registered to.
   * @default none: tier `sagemaker` is refused (`unsupported_tier`)
   */
  readonly gpuEndpoints?: readonly GpuEndpointRef[];
  readonly now?: () => Date;
}

const DEFAULT_SCOPES: readonly Scope[] = ['infer', 'models:read', 'usage:read'];

/** What `setAlias` is asked to do (the body of `PUT /admin/models/{name}/aliases/{alias}`). */
export interface AliasChange {
  readonly version?: string;
  readonly routes?: readonly AliasRoute[];
  readonly expectedRevision?: number;
}

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
    // The plan must exist (400 `unknown_plan`); a tenant created without one is on `free`.
    const plans = new PlanService({ store: this.options.store, now: this.now });
    const plan = await plans.resolve(request.plan ?? DEFAULT_PLAN_ID);
    const createdAt = this.now().toISOString();
    const tenant: Tenant = {
      tenantId: `t_${randomBytes(8).toString('hex')}`,
      name: request.name,
      plan: plan.planId,
      planSince: createdAt,
      createdAt,
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
    const limit = this.options.validator.maxModelBytes;
    if (size !== undefined && size > limit) {
      throw tooLarge(size, limit);
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
   * Step two of an upload: the registration gate, then the version. The uploaded file is
   * validated on the tier's runtime (`ModelValidator`: size, ONNX, opset and operators, a
   * generated sample run) and, with `baseline`, compared with that version of the model,
   * before anything is written; then it is stored content-addressed, a version number is
   * allocated and the immutable version written.
   *
   * Once the upload is found it serves one attempt: whatever fails, nothing half-registered
   * remains. The upload and any artifact copy this call made are removed, and no version
   * item exists; a version number allocated before a failed write is skipped, never reused.
   */
  public async createVersion(
    name: string,
    uploadId: string,
    tier: Tier,
    options: CreateVersionOptions = {},
  ): Promise<ModelVersion> {
    await this.requireModel(name);
    // Where the version will run, before any work: a registration that cannot land fails first.
    const gpuEndpoint = this.gpuEndpointFor(tier, options.endpoint);
    const { artifacts, validator, store } = this.options;
    const pending = uploadKey(uploadId);
    const head = await artifacts.head(pending);
    if (head === undefined) {
      throw new BadRequestError(
        'upload_not_found',
        `No file was uploaded for upload "${uploadId}"; PUT it to the upload URL first`,
      );
    }
    // Objects this attempt wrote, removed if it fails.
    const written: string[] = [];
    try {
      validator.checkSize(head.size);
      const baseline =
        options.baseline === undefined ? undefined : await this.baseline(name, options.baseline);
      const bytes = await artifacts.get(pending);
      const { schema, validation, agreement } = await validator.validate(bytes, tier, baseline);
      if (options.pipeline !== undefined)
        await this.checkPipeline(name, options.pipeline, schema.inputs, schema.outputs);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const artifact = { sha256, size: bytes.byteLength, key: artifactKey(sha256) };
      const tierFields = await this.tierStep(tier, {
        modelName: name,
        artifact,
        bytes,
        schema,
        gpuEndpoint,
        written,
      });
      // Content-addressed: an identical file registered before is reused, and only a copy
      // made here is removed on failure. (A registration of the same bytes running at the
      // same moment could reuse that copy just before it is removed: rare, and its version
      // would then answer 502 artifact_missing until the file is registered again.)
      if ((await artifacts.head(artifact.key)) === undefined) {
        await artifacts.put(artifact.key, bytes);
        written.push(artifact.key);
      }
      const number = await store.allocateVersionNumber(name);
      const version: ModelVersion = {
        modelName: name,
        version: String(number),
        tier,
        artifact,
        inputs: schema.inputs,
        outputs: schema.outputs,
        opset: schema.opset,
        createdAt: this.now().toISOString(),
        validation,
        ...(agreement === undefined ? {} : { agreement }),
        ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }),
        ...tierFields,
      };
      await this.writeVersion(version, written);
      written.length = 0;
      await this.removeQuietly(pending);
      return version;
    } catch (error) {
      await Promise.all([pending, ...written].map((key) => this.removeQuietly(key)));
      throw error;
    }
  }

  /**
   * The tier's own registration step, after validation and before the version exists. It
   * may write objects (their keys go on `written`, removed if registration fails) and
   * returns fields of the version. The `lambda` tier needs none: the inference function
   * loads the artifact itself; the `sagemaker` tier packages the model for its endpoint.
   */
  private async tierStep(tier: Tier, context: TierStepContext): Promise<GpuServingFields> {
    switch (tier) {
      case 'lambda':
        return {};
      case 'sagemaker':
        // A Triton archive under a multi-model endpoint's prefix, or the inference component
        // the model was deployed with (sagemaker-registration.ts).
        if (context.gpuEndpoint === undefined) throw unsupportedTier(tier);
        return placeOnGpuEndpoint({
          sha256: context.artifact.sha256,
          artifacts: this.options.artifacts,
          endpoint: context.gpuEndpoint,
          modelName: context.modelName,
          onnx: context.bytes,
          schema: context.schema,
          written: context.written,
        });
    }
  }

  /** The GPU endpoint of a `sagemaker` version (400 when there is none to use); none for `lambda`. */
  private gpuEndpointFor(tier: Tier, endpoint: string | undefined): GpuEndpointRef | undefined {
    if (tier === 'sagemaker') return chooseGpuEndpoint(this.options.gpuEndpoints ?? [], endpoint);
    if (endpoint !== undefined) {
      throw new BadRequestError(
        'invalid_request',
        `"endpoint" applies to tier "sagemaker" only, not "${tier}"`,
      );
    }
    return undefined;
  }

  /**
   * Writes the version item. The SDK retries a write whose answer was lost, and the retry
   * of an applied conditional put fails as `version_exists`; the number was allocated to
   * this call alone, so a stored item of that number is this one and the write succeeded.
   * When even that cannot be read, the artifact copy is kept (`written` emptied): an
   * unreferenced file is better than a version whose file was removed.
   */
  private async writeVersion(version: ModelVersion, written: string[]): Promise<void> {
    const { store } = this.options;
    try {
      await store.createVersion(version);
    } catch (error) {
      let stored: ModelVersion | undefined;
      try {
        stored = await store.getVersion(version.modelName, version.version);
      } catch {
        written.length = 0;
        throw error;
      }
      if (stored?.createdAt === version.createdAt && stored.artifact.sha256 === version.artifact.sha256)
        return;
      throw error;
    }
  }

  /** The baseline a new version is compared with: an existing version and its verified bytes. */
  private async baseline(name: string, version: string): Promise<Baseline> {
    const record = await this.options.store.getVersion(name, version);
    if (record === undefined) {
      throw new BadRequestError(
        'baseline_not_found',
        `Baseline: model "${name}" has no version "${version}"`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.options.artifacts.get(record.artifact.key);
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new InfergateError(
          502,
          'artifact_missing',
          `The artifact of baseline version ${version} (sha256:${record.artifact.sha256}) is missing from the store`,
          { cause: error },
        );
      }
      throw error;
    }
    if (createHash('sha256').update(bytes).digest('hex') !== record.artifact.sha256) {
      throw new InfergateError(
        502,
        'artifact_corrupt',
        `The artifact of baseline version ${version} does not match its SHA-256 ${record.artifact.sha256}`,
      );
    }
    return { version, bytes };
  }

  /** Deletes an object, reporting a failure instead of throwing it. */
  private async removeQuietly(key: string): Promise<void> {
    try {
      await this.options.artifacts.delete(key);
    } catch (error) {
      this.options.onCleanupError?.(error, key);
    }
  }

  /**
   * Points an alias at one version (`"3"` or `{ version: "3" }`) or at weighted routes
   * (`{ routes: [{ version: "3", weight: 90 }, { version: "4", weight: 10 }] }`). The target
   * it replaces goes on the alias's history, for `rollbackAlias`. Setting the target the
   * alias has already changes nothing. With `expectedRevision`, the change applies only if
   * the alias is still at that revision (409 `alias_changed` otherwise).
   */
  /** A pipeline must fit the model, and its orientation step must name another model that exists. */
  private async checkPipeline(
    name: string,
    pipeline: PipelineSpec,
    inputs: readonly TensorSpec[],
    outputs: readonly TensorSpec[],
  ): Promise<void> {
    checkPipeline(pipeline, inputs, outputs);
    const orientation = pipeline.orientation?.model;
    if (orientation === name) {
      throw invalidPipeline([
        `orientation.model is "${name}" itself; name the classifier that orients its images`,
      ]);
    }
    if (orientation !== undefined && (await this.options.store.getModel(orientation)) === undefined) {
      throw invalidPipeline([
        `orientation.model "${orientation}" does not exist; register the classifier first`,
      ]);
    }
  }

  public async setAlias(name: string, alias: string, change: string | AliasChange): Promise<Alias> {
    await this.requireModel(name);
    if (/^[0-9]+$/.test(alias)) {
      throw new BadRequestError(
        'invalid_alias',
        `Alias "${alias}" is a number; aliases are names like "prod"`,
      );
    }
    const request = typeof change === 'string' ? { version: change } : change;
    const target = aliasTarget(request);
    const { store } = this.options;
    const missing = (
      await Promise.all(
        versionsOf(target).map(async (version) =>
          (await store.getVersion(name, version)) === undefined ? version : undefined,
        ),
      )
    ).filter((version) => version !== undefined);
    if (missing.length > 0) {
      throw new NotFoundError(
        'version_not_found',
        `Model "${name}" has no version ${missing.map((version) => `"${version}"`).join(', ')}`,
      );
    }
    const current = await store.getAlias(name, alias);
    if (request.expectedRevision !== undefined && request.expectedRevision !== revisionOf(current)) {
      throw aliasChanged(name, alias, revisionOf(current), request.expectedRevision);
    }
    if (current !== undefined && sameTarget(current, target)) return current;
    const record = changedAlias(current, { modelName: name, alias }, target, this.now().toISOString());
    await store.putAlias(record, { expectedRevision: revisionOf(current) });
    return record;
  }

  /**
   * Restores the target an alias had before its last change (repeated rollbacks walk
   * further back). 404 `alias_not_found`, or 409 `nothing_to_roll_back` when the alias has
   * no earlier target.
   */
  public async rollbackAlias(name: string, alias: string): Promise<Alias> {
    await this.requireModel(name);
    const { store } = this.options;
    const current = await store.getAlias(name, alias);
    if (current === undefined) {
      throw new NotFoundError('alias_not_found', `Model "${name}" has no alias "${alias}"`);
    }
    const record = rolledBackAlias(current, this.now().toISOString());
    if (record === undefined) {
      throw new ConflictError(
        'nothing_to_roll_back',
        `Alias "${alias}" of model "${name}" has no earlier target to roll back to`,
      );
    }
    await store.putAlias(record, { expectedRevision: revisionOf(current) });
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

/** The target a change asks for: exactly one of `version` and `routes`. */
function aliasTarget(change: AliasChange): AliasTarget {
  if (change.routes !== undefined && change.version === undefined) return targetOfRoutes(change.routes);
  if (change.version !== undefined && change.routes === undefined) return { version: change.version };
  throw new BadRequestError('invalid_request', 'Give either "version" or "routes" (not both)');
}

function aliasChanged(name: string, alias: string, actual: number, expected: number): ConflictError {
  return new ConflictError(
    'alias_changed',
    `Alias "${alias}" of model "${name}" is at revision ${actual}, not ${expected}; read it again and retry`,
  );
}

/** Options of `AdminService.createVersion`. */
export interface CreateVersionOptions {
  /** A version of the same model to compare the new one with (`agreement` on the version). */
  readonly baseline?: string;
  /** Pre- and post-processing for the predict routes, checked against the model's inputs and outputs. */
  readonly pipeline?: PipelineSpec;
  /** Tier `sagemaker`: the GPU endpoint (catalog name); the deployment's only one when absent. */
  readonly endpoint?: string;
}

/** What a tier's registration step gets (see `AdminService.tierStep`). */
interface TierStepContext {
  readonly modelName: string;
  readonly artifact: ArtifactRef;
  readonly bytes: Uint8Array;
  readonly schema: { readonly inputs: readonly TensorSpec[]; readonly outputs: readonly TensorSpec[] };
  /** The GPU endpoint chosen for tier `sagemaker`. */
  readonly gpuEndpoint?: GpuEndpointRef;
  /** Keys of objects the step writes, removed if registration fails. */
  readonly written: string[];
}

function unsupportedTier(tier: Tier): BadRequestError {
  return new BadRequestError(
    'unsupported_tier',
    `Tier "${tier}" is not available in this deployment; use "lambda"`,
  );
}

function tooLarge(size: number, limit: number): InfergateError {
  return new InfergateError(
    413,
    'artifact_too_large',
    `The model file is ${size} bytes; the limit is ${limit} bytes`,
  );
}
