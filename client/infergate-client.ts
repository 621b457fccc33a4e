import type {
  CreateKeyRequest,
  CreateModelRequest,
  CreatePlanRequest,
  CreateTenantRequest,
  CreateUploadRequest,
  CreateVersionRequest,
  CreatedKey,
  PutAliasRequest,
  RotateKeyRequest,
  RotatedKey,
  UpdatePlanRequest,
  UploadTicket,
} from '../functions/api/schemas';
import type {
  KeyList,
  KeySummary,
  ModelDetail,
  ModelList,
  ModelMetadata,
  InferResponse,
  PlanChangeList,
  PlanList,
  Prediction,
  TenantList,
  TenantModelList,
  BillingReport,
  TenantUsageReport,
  UsageReport,
  VersionList,
} from '../functions/api/views';
import type { Alias, Model, ModelVersion, Plan, Tenant } from '../functions/core/registry/types';
import { InfergateApiError, InfergateClientError } from './errors';
import { apiErrorFromResponse, networkError, parseJsonBody } from './responses';
import type {
  AdminUsageQuery,
  ArtifactSource,
  HealthStatus,
  InferRequest,
  InfergateClientOptions,
  RegisterModelOptions,
  ServerMetadata,
  UploadProgressListener,
  UsageReportFormat,
} from './types';
import { artifactBody, putArtifact } from './upload';

const DEFAULT_TIMEOUT_MS = 60_000;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';
type Query = Readonly<Record<string, string | undefined>>;

/** A raw HTTP answer, before it is judged a success or an error. */
interface RawResponse {
  readonly url: URL;
  readonly status: number;
  readonly text: string;
  readonly header: (name: string) => string | null;
}

const segment = encodeURIComponent;

/**
 * Typed client of the Infergate HTTP API: one method per route of `functions/routes.ts`,
 * plus `uploadArtifact` and `registerModel`, which combine routes. Admin methods need an
 * admin key; tenant methods (`listTenantModels`, `usage`, `modelMetadata`, `infer`) a
 * tenant key with the matching scope.
 *
 * A non-2xx answer throws `InfergateApiError` (`status`, `code`, `message`, `requestId`);
 * a request that gets no answer throws `InfergateNetworkError` naming the URL.
 *
 * @example
 * const client = new InfergateClient({ url: 'http://127.0.0.1:8787', apiKey: process.env.KEY ?? '' });
 * const result = await client.infer('iris', {
 *   inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
 * });
 */
export class InfergateClient {
  /** Base URL without a trailing slash. */
  public readonly url: string;
  private readonly apiKey: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  public constructor(options: InfergateClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new TypeError(`url must be an absolute http(s) URL, got ${JSON.stringify(options.url)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`url must use http or https, got ${base.protocol}`);
    }
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
      throw new TypeError('apiKey must be a non-empty string');
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new TypeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
    }
    this.url = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    this.apiKey = options.apiKey;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = timeoutMs;
  }

  // Control plane: tenants and keys.

  /** `POST /admin/tenants` */
  public createTenant(request: CreateTenantRequest): Promise<Tenant> {
    return this.call('POST', '/admin/tenants', { body: request });
  }

  /** `GET /admin/tenants` */
  public listTenants(): Promise<TenantList> {
    return this.call('GET', '/admin/tenants');
  }

  /** `GET /admin/tenants/{tenantId}` */
  public getTenant(tenantId: string): Promise<Tenant> {
    return this.call('GET', `/admin/tenants/${segment(tenantId)}`);
  }

  /** `POST /admin/keys`. The answer holds the key itself; it is never shown again. */
  public createKey(request: CreateKeyRequest): Promise<CreatedKey> {
    return this.call('POST', '/admin/keys', { body: request });
  }

  /** `GET /admin/keys?tenantId=...`: a tenant's keys, without their hashes. */
  public listKeys(tenantId: string): Promise<KeyList> {
    return this.call('GET', '/admin/keys', { query: { tenantId } });
  }

  /** `POST /admin/keys/{keyId}/revoke` */
  public revokeKey(keyId: string): Promise<KeySummary> {
    return this.call('POST', `/admin/keys/${segment(keyId)}/revoke`);
  }

  /**
   * `POST /admin/keys/{keyId}/rotate`: a new key of the same tenant, scopes and name (shown
   * once); the old key keeps working for `overlapSeconds` (default 3600), never longer than
   * it would have.
   *
   * @example
   * const rotated = await admin.rotateKey(keyId, { overlapSeconds: 600 });
   * console.log(rotated.key, 'replaces', rotated.replaced.keyId, 'until', rotated.replaced.expiresAt);
   */
  public rotateKey(keyId: string, request: RotateKeyRequest = {}): Promise<RotatedKey> {
    return this.call('POST', `/admin/keys/${segment(keyId)}/rotate`, { body: request });
  }

  // Control plane: plans.

  /**
   * `POST /admin/plans`. Prices are decimal strings (`"0.40"`), never numbers; absent limits
   * mean unlimited.
   *
   * @example
   * const price = { perThousandRequests: '0.40', perComputeSecond: '0.00005' };
   * await admin.createPlan({ planId: 'team', monthlyQuota: 100_000, prices: { tiers: { lambda: price, sagemaker: price } } });
   */
  public createPlan(request: CreatePlanRequest): Promise<Plan> {
    return this.call('POST', '/admin/plans', { body: request });
  }

  /**
   * `PATCH /admin/plans/{planId}`: a JSON merge patch; `null` removes a limit.
   *
   * @example
   * await admin.updatePlan('team', { monthlyQuota: null, rateLimit: { burst: 40 } });
   */
  public updatePlan(planId: string, patch: UpdatePlanRequest): Promise<Plan> {
    return this.call('PATCH', `/admin/plans/${segment(planId)}`, { body: patch });
  }

  /** `GET /admin/plans/{planId}` */
  public getPlan(planId: string): Promise<Plan> {
    return this.call('GET', `/admin/plans/${segment(planId)}`);
  }

  /** `GET /admin/plans` */
  public listPlans(): Promise<PlanList> {
    return this.call('GET', '/admin/plans');
  }

  /** `PUT /admin/tenants/{tenantId}/plan`: moves the tenant to `plan` from now on. */
  public setTenantPlan(tenantId: string, plan: string): Promise<Tenant> {
    return this.call('PUT', `/admin/tenants/${segment(tenantId)}/plan`, { body: { plan } });
  }

  /** `GET /admin/tenants/{tenantId}/plan-changes`: the tenant's plans over time, oldest first. */
  public listPlanChanges(tenantId: string): Promise<PlanChangeList> {
    return this.call('GET', `/admin/tenants/${segment(tenantId)}/plan-changes`);
  }

  // Control plane: models.

  /** `POST /admin/uploads`: a presigned URL to `PUT` an artifact to. See `uploadArtifact`. */
  public createUpload(request: CreateUploadRequest = {}): Promise<UploadTicket> {
    return this.call('POST', '/admin/uploads', { body: request });
  }

  /** `POST /admin/models` */
  public createModel(request: CreateModelRequest): Promise<Model> {
    return this.call('POST', '/admin/models', { body: request });
  }

  /** `GET /admin/models` */
  public listModels(): Promise<ModelList> {
    return this.call('GET', '/admin/models');
  }

  /** `GET /admin/models/{name}`: the model with its versions and aliases. */
  public getModel(name: string): Promise<ModelDetail> {
    return this.call('GET', `/admin/models/${segment(name)}`);
  }

  /** `POST /admin/models/{name}/versions`: registers an uploaded artifact as the next version. */
  public createVersion(name: string, request: CreateVersionRequest): Promise<ModelVersion> {
    return this.call('POST', `/admin/models/${segment(name)}/versions`, { body: request });
  }

  /** `GET /admin/models/{name}/versions` */
  public listVersions(name: string): Promise<VersionList> {
    return this.call('GET', `/admin/models/${segment(name)}/versions`);
  }

  /**
   * `PUT /admin/models/{name}/aliases/{alias}`: points `alias` (e.g. `prod`) at a version, or
   * splits it over weighted versions (a canary). The target it replaces is kept for
   * `rollbackAlias`.
   *
   * @example
   * await admin.setAlias('digits', 'prod', '3');
   * await admin.setAlias('digits', 'prod', {
   *   routes: [{ version: '3', weight: 90 }, { version: '4', weight: 10 }],
   * });
   */
  public setAlias(name: string, alias: string, target: string | PutAliasRequest): Promise<Alias> {
    return this.call('PUT', `/admin/models/${segment(name)}/aliases/${segment(alias)}`, {
      body: typeof target === 'string' ? { version: target } : target,
    });
  }

  /**
   * `POST /admin/models/{name}/aliases/{alias}/rollback`: restores the target the alias had
   * before its last change (409 `nothing_to_roll_back` when there is none).
   */
  public rollbackAlias(name: string, alias: string): Promise<Alias> {
    return this.call('POST', `/admin/models/${segment(name)}/aliases/${segment(alias)}/rollback`);
  }

  /** `GET /admin/usage?month=...&tenantId=...` */
  public adminUsage(query: AdminUsageQuery = {}): Promise<UsageReport> {
    return this.call('GET', '/admin/usage', { query: { month: query.month, tenantId: query.tenantId } });
  }

  /**
   * `GET /admin/reports/usage?month=...&tenantId=...`: the month's usage priced by plan, per
   * tenant, model, version and plan, with totals per currency (docs/billing.md).
   *
   * @example
   * const report = await admin.usageReport({ month: '2026-11' });
   * for (const total of report.totals) console.log(total.currency, total.amount);
   */
  public usageReport(query: AdminUsageQuery = {}): Promise<BillingReport> {
    return this.call('GET', '/admin/reports/usage', {
      query: { month: query.month, tenantId: query.tenantId },
    });
  }

  /**
   * `GET /admin/reports/usage?format=csv|html`: the same report as the platform renders it,
   * as text: RFC 4180 CSV, or a self-contained HTML page with a chart of daily requests.
   *
   * @example
   * await writeFile('usage-2026-11.csv', await admin.usageReportDocument('csv', { month: '2026-11' }));
   */
  public async usageReportDocument(format: UsageReportFormat, query: AdminUsageQuery = {}): Promise<string> {
    const response = await this.send('GET', '/admin/reports/usage', {
      query: { month: query.month, tenantId: query.tenantId, format },
      accept: format === 'csv' ? 'text/csv' : 'text/html',
    });
    if (response.status < 200 || response.status >= 300) throw toError(response);
    const type = response.header('content-type') ?? '';
    if (!type.startsWith(format === 'csv' ? 'text/csv' : 'text/html')) {
      throw new InfergateClientError(
        'invalid_response',
        `GET ${response.url.pathname} answered ${type || 'no content type'}, not ${format}`,
      );
    }
    return response.text;
  }

  /** `GET /openapi.json`: the API description. */
  public openapi(): Promise<Record<string, unknown>> {
    return this.call('GET', '/openapi.json');
  }

  // Tenant API.

  /** `GET /v1/models`: the models the key's tenant may call. */
  public listTenantModels(): Promise<TenantModelList> {
    return this.call('GET', '/v1/models');
  }

  /**
   * `GET /v1/usage?month=YYYY-MM`: the key's tenant's usage (current UTC month by default)
   * and its charges, priced by its plans: the estimated charge while the month is not over.
   */
  public usage(month?: string): Promise<TenantUsageReport> {
    return this.call('GET', '/v1/usage', { query: { month } });
  }

  // Data plane: Open Inference Protocol.

  /** `GET /v2`: server metadata. */
  public serverMetadata(): Promise<ServerMetadata> {
    return this.call('GET', '/v2');
  }

  /**
   * `GET /v2/health/live` and `GET /v2/health/ready`. A 503 means "not live/ready"; other
   * errors throw.
   */
  public async health(): Promise<HealthStatus> {
    const [live, ready] = await Promise.all([
      this.flag('/v2/health/live', 'live'),
      this.flag('/v2/health/ready', 'ready'),
    ]);
    return { live, ready };
  }

  /** `GET /v2/models/{name}[/versions/{version}]`: OIP model metadata. */
  public modelMetadata(name: string, version?: string): Promise<ModelMetadata> {
    return this.call('GET', modelPath(name, version));
  }

  /** `GET /v2/models/{name}[/versions/{version}]/ready`. A 503 means "not ready". */
  public modelReady(name: string, version?: string): Promise<boolean> {
    return this.flag(`${modelPath(name, version)}/ready`, 'ready');
  }

  /** `POST /v2/models/{name}[/versions/{version}]/infer`: runs the model. */
  public infer(name: string, request: InferRequest, version?: string): Promise<InferResponse> {
    return this.call('POST', `${modelPath(name, version)}/infer`, { body: request });
  }

  // Task routes.

  /**
   * `POST /v1/models/{name}[/versions/{version}]/predict`: runs an image (a PNG, JPEG or WebP
   * file's bytes, sent base64-encoded) through the version's pipeline.
   *
   * @example
   * const { text, confidence } = (await client.predict('ocr', await readFile('line.png'))) as TextPrediction;
   */
  public predict(
    name: string,
    image: Uint8Array,
    options: { readonly version?: string; readonly topK?: number } = {},
  ): Promise<Prediction> {
    const base = `/v1/models/${segment(name)}`;
    const path = options.version === undefined ? base : `${base}/versions/${segment(options.version)}`;
    return this.call('POST', `${path}/predict`, {
      body: {
        image: Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString('base64'),
        ...(options.topK === undefined ? {} : { top_k: options.topK }),
      },
    });
  }

  // Flows that combine routes.

  /**
   * Uploads a model artifact in two steps: `POST /admin/uploads` announces the size and
   * returns a presigned URL, then the bytes are streamed there with `PUT` (without the API
   * key). Returns the upload id that `createVersion` takes.
   *
   * @param source - path of an `.onnx` file, or its bytes
   * @param onProgress - called as bytes are sent, first with `sentBytes: 0`
   */
  public async uploadArtifact(source: ArtifactSource, onProgress?: UploadProgressListener): Promise<string> {
    const body = await artifactBody(source);
    const ticket = await this.createUpload({ size: body.size });
    let target: URL;
    try {
      target = new URL(ticket.url);
    } catch (cause) {
      throw new InfergateClientError(
        'invalid_response',
        'POST /admin/uploads returned an invalid upload URL',
        {
          cause,
        },
      );
    }
    await putArtifact(target, body, this.timeoutMs, onProgress);
    return ticket.uploadId;
  }

  /**
   * Registers a new version of `name` from an artifact: creates the model when it does not
   * exist (an existing model is accepted when its visibility and owner match), uploads the
   * artifact and creates the version. The version is not published: point an alias at it
   * with `setAlias`.
   *
   * @example
   * const version = await admin.registerModel('iris', 'models/iris.onnx', { visibility: 'public' });
   * await admin.setAlias('iris', 'prod', version.version);
   */
  public async registerModel(
    name: string,
    source: ArtifactSource,
    options: RegisterModelOptions,
  ): Promise<ModelVersion> {
    await this.ensureModel({
      name,
      visibility: options.visibility,
      ownerTenantId: options.ownerTenantId,
      description: options.description,
    });
    const uploadId = await this.uploadArtifact(source, options.onProgress);
    return this.createVersion(name, {
      uploadId,
      tier: options.tier ?? 'lambda',
      ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
      ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }),
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    });
  }

  private async ensureModel(request: CreateModelRequest): Promise<void> {
    try {
      await this.createModel(request);
      return;
    } catch (error) {
      if (!(error instanceof InfergateApiError && error.status === 409 && error.code === 'model_exists'))
        throw error;
    }
    const { model } = await this.getModel(request.name);
    const wanted = describeOwnership(request.visibility, request.ownerTenantId);
    const actual = describeOwnership(model.visibility, model.ownerTenantId);
    if (wanted !== actual) {
      throw new InfergateApiError(
        409,
        'model_exists',
        `model ${request.name} exists as ${actual}, not ${wanted}; register under another name or match it`,
      );
    }
  }

  // Transport.

  private async flag(path: string, field: 'live' | 'ready'): Promise<boolean> {
    const response = await this.send('GET', path, {});
    if (response.status === 503) return false;
    if (response.status < 200 || response.status >= 300) throw toError(response);
    const body = parseJsonBody(response.url, response.status, response.text);
    return !(
      typeof body === 'object' &&
      body !== null &&
      field in body &&
      Reflect.get(body, field) === false
    );
  }

  /**
   * Sends a request and returns its JSON body. The body is trusted to have the documented
   * shape (`functions/api/views.ts`); the platform and this client share those types.
   */
  private async call<T>(
    method: Method,
    path: string,
    options: { body?: unknown; query?: Query } = {},
  ): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status < 200 || response.status >= 300) throw toError(response);
    const parsed: unknown = parseJsonBody(response.url, response.status, response.text);
    return parsed as T;
  }

  private async send(
    method: Method,
    path: string,
    options: { body?: unknown; query?: Query; accept?: string },
  ): Promise<RawResponse> {
    const url = new URL(`${this.url}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: options.accept ?? 'application/json',
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw networkError(url, error, this.timeoutMs);
    }
    return { url, status: response.status, text, header: (name) => response.headers.get(name) };
  }
}

function modelPath(name: string, version?: string): string {
  const base = `/v2/models/${segment(name)}`;
  return version === undefined ? base : `${base}/versions/${segment(version)}`;
}

function describeOwnership(visibility: string, ownerTenantId: string | undefined): string {
  return visibility === 'private' ? `private to tenant ${ownerTenantId ?? '(none)'}` : visibility;
}

function toError(response: RawResponse): InfergateApiError {
  return apiErrorFromResponse(response.status, response.text, response.header);
}
