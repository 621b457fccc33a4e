import type { Datatype } from '../functions/core/tensors/datatypes';
import type { PipelineRequest } from '../functions/api/schemas';
import type { Tier, Visibility } from '../functions/core/registry/types';

/** Settings of an `InfergateClient`. */
export interface InfergateClientOptions {
  /** Base URL of the platform, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com`. */
  readonly url: string;
  /** API key sent as `Authorization: Bearer <key>`: an admin key or a tenant key. */
  readonly apiKey: string;
  /**
   * `fetch` implementation for API calls. Artifact uploads always use `node:http(s)` so
   * they can stream a file with progress.
   * @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
  /**
   * Deadline of one API call, and the longest an artifact upload may stall.
   * @default 60000
   */
  readonly timeoutMs?: number;
}

/** One element of an Open Inference Protocol tensor. */
export type InferValue = number | string | boolean;

/** Tensor data: flat in row-major order, or nested exactly like the shape. */
export type InferData = readonly (InferValue | InferData)[];

/** Request and tensor parameters of the Open Inference Protocol. */
export type InferParameters = Readonly<Record<string, string | number | boolean>>;

/** One input tensor of an OIP infer request. */
export interface InferInputTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: Datatype;
  readonly data: InferData;
  readonly parameters?: InferParameters;
}

/** OIP (KServe v2) infer request body. */
export interface InferRequest {
  readonly id?: string;
  readonly parameters?: InferParameters;
  readonly inputs: readonly InferInputTensor[];
  /** Outputs to return; all of them when absent. */
  readonly outputs?: readonly { readonly name: string; readonly parameters?: InferParameters }[];
}

/** OIP server metadata (`GET /v2`). */
export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** OIP liveness and readiness of the server (`/v2/health/live`, `/v2/health/ready`). */
export interface HealthStatus {
  readonly live: boolean;
  readonly ready: boolean;
}

/** Progress of an artifact upload, reported as bytes are handed to the connection. */
export interface UploadProgress {
  readonly sentBytes: number;
  readonly totalBytes: number;
}

export type UploadProgressListener = (progress: UploadProgress) => void;

/** What to upload: a file path (streamed from disk) or bytes already in memory. */
export type ArtifactSource = string | Uint8Array;

/** How `registerModel` creates the model when it does not exist yet. */
export interface RegisterModelOptions {
  /** @default 'lambda' */
  readonly tier?: Tier;
  readonly visibility: Visibility;
  /** Required for private models: the tenant that may use the model. */
  readonly ownerTenantId?: string;
  readonly description?: string;
  /**
   * A version of the model to compare the new one with (e.g. its fp32 original); the
   * agreement is recorded on the new version.
   */
  readonly baseline?: string;
  /** Pre- and post-processing for `predict` (see docs/models.md, "Pipelines"). */
  readonly pipeline?: PipelineRequest;
  /** Tier `sagemaker`: the GPU endpoint (catalog name); the deployment's only one when absent. */
  readonly endpoint?: string;
  readonly onProgress?: UploadProgressListener;
}

/** Filters of `GET /admin/usage`. */
export interface AdminUsageQuery {
  /** `YYYY-MM`; the current UTC month when absent. */
  readonly month?: string;
  /** One tenant; every tenant when absent. */
  readonly tenantId?: string;
}

/** Renderings of the usage report that `usageReportDocument` fetches as text. */
export type UsageReportFormat = 'csv' | 'html';
