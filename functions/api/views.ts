import type { Alias, ApiKeyRecord, Model, ModelVersion, Tenant } from '../core/registry/types';
import type { UsageRow } from '../core/metering/types';
import type { TensorSpec } from '../core/tensors/datatypes';

/**
 * Response bodies of the HTTP API, shared by the handlers that produce them and the
 * typed client that reads them.
 */

/** A key as listed: everything but the hash. */
export type KeySummary = Omit<ApiKeyRecord, 'hash'>;

export interface TenantList {
  readonly tenants: readonly Tenant[];
}
export interface KeyList {
  readonly keys: readonly KeySummary[];
}
export interface ModelList {
  readonly models: readonly Model[];
}
export interface ModelDetail {
  readonly model: Model;
  readonly versions: readonly ModelVersion[];
  readonly aliases: readonly Alias[];
}
export interface VersionList {
  readonly versions: readonly ModelVersion[];
}

export interface UsageTotals {
  readonly requests: number;
  readonly errors: number;
  readonly computeMs: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
}

/** `GET /v1/usage` (one tenant) and `GET /admin/usage` (all tenants, or one). */
export interface UsageReport {
  readonly month: string;
  readonly tenantId?: string;
  readonly rows: readonly UsageRow[];
  readonly totals: UsageTotals;
}

/** A model as a tenant sees it in `GET /v1/models`. */
export interface TenantModelView {
  readonly name: string;
  readonly visibility: 'public' | 'private';
  readonly description?: string;
  readonly aliases: Readonly<Record<string, string>>;
}
export interface TenantModelList {
  readonly models: readonly TenantModelView[];
}

/** OIP model metadata (`GET /v2/models/{name}[/versions/{version}]`). */
export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** OIP inference response. */
export interface InferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id?: string;
  readonly outputs: readonly {
    readonly name: string;
    readonly datatype: string;
    readonly shape: readonly number[];
    readonly data: readonly (number | string | boolean)[];
  }[];
}

/** Every error response: `{"error": "<message>", "code": "<stable_code>"}`. */
export interface ErrorBody {
  readonly error: string;
  readonly code: string;
  readonly requestId?: string;
}
