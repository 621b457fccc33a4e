import type {
  Alias,
  ApiKeyRecord,
  Model,
  ModelVersion,
  Plan,
  PlanChange,
  Tenant,
  Tier,
} from '../core/registry/types';
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
export interface PlanList {
  readonly plans: readonly Plan[];
}
/** `GET /admin/tenants/{tenantId}/plan-changes`: oldest first; the first is the plan it was created on. */
export interface PlanChangeList {
  readonly tenantId: string;
  readonly changes: readonly PlanChange[];
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

/**
 * Billing views: the usage report a finance team invoices from (`GET /admin/reports/usage`,
 * `infergate usage report`) and the tenant's priced usage in `GET /v1/usage`. Money is a
 * decimal string with the currency's minor-unit digits (`"12.34"` USD, `"1234"` JPY);
 * prices are decimal strings with up to 6 decimals. The rounding rules are in
 * docs/billing.md and `functions/core/billing/money.ts`.
 */

/** One priced line: a tenant's usage of one model version under one plan in the month. */
export interface BillingLine {
  readonly tenantId: string;
  readonly modelName: string;
  readonly version: string;
  readonly tier: Tier;
  /** The plan the requests were served under; its prices apply. */
  readonly plan: string;
  readonly currency: string;
  /** Successful requests: the billed ones. */
  readonly requests: number;
  /** Failed requests: listed, not billed. */
  readonly errors: number;
  /** Metered compute in seconds with 3 decimals (whole milliseconds). */
  readonly computeSeconds: string;
  /** `model`: the plan's price for this model; `tier`: the plan's price for the version's tier. */
  readonly priceSource: 'model' | 'tier';
  readonly pricePerThousandRequests: string;
  readonly pricePerComputeSecond: string;
  /** `requests × pricePerThousandRequests / 1000`, rounded half-up to the minor unit. */
  readonly requestsAmount: string;
  /** `computeSeconds × pricePerComputeSecond`, rounded half-up to the minor unit. */
  readonly computeAmount: string;
  /** `requestsAmount + computeAmount`. */
  readonly amount: string;
}

/** Sums of lines in one currency: every amount is the sum of the rounded amounts under it. */
export interface BillingTotal {
  readonly currency: string;
  readonly requests: number;
  readonly errors: number;
  readonly computeSeconds: string;
  readonly requestsAmount: string;
  readonly computeAmount: string;
  readonly amount: string;
}

/** A tenant's lines and its totals, one per currency its plans bill in. */
export interface TenantBill {
  readonly tenantId: string;
  /** Absent when the tenant record could not be found. */
  readonly tenantName?: string;
  readonly lines: readonly BillingLine[];
  readonly totals: readonly BillingTotal[];
}

/** One UTC day of the month, summed over the report's tenants (the chart's series). */
export interface DailyUsage {
  readonly day: string;
  readonly requests: number;
  readonly errors: number;
  readonly computeSeconds: string;
}

/** The usage report of a month: per tenant, model, version and plan. */
export interface BillingReport {
  readonly month: string;
  /** The billing period: the calendar month in UTC, `end` exclusive. */
  readonly period: { readonly start: string; readonly end: string };
  readonly generatedAt: string;
  /** False while the month is not over: the amounts are an estimate to date. */
  readonly final: boolean;
  /** Set when the report is of one tenant. */
  readonly tenantId?: string;
  readonly tenants: readonly TenantBill[];
  /** Grand totals, one per currency. */
  readonly totals: readonly BillingTotal[];
  /** Every day of the month, in order. */
  readonly daily: readonly DailyUsage[];
}

/** A tenant's charges in `GET /v1/usage`. */
export interface UsageCharges {
  /** False while the month is not over: the amounts are the estimated charge to date. */
  readonly final: boolean;
  readonly lines: readonly BillingLine[];
  readonly totals: readonly BillingTotal[];
}

/** `GET /v1/usage`: the tenant's usage rows and totals, and its charges for the month. */
export interface TenantUsageReport extends UsageReport {
  readonly charges: UsageCharges;
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

/** What every answer of `POST /v1/models/{name}/predict` carries. */
interface PredictionBase {
  readonly model_name: string;
  readonly model_version: string;
  /** Whether the pipeline's orientation step found the image upside down and turned it. */
  readonly rotated: boolean;
}

/** `POST /v1/models/{name}/predict` of a classification pipeline: the best labels, best first. */
export interface ClassificationPrediction extends PredictionBase {
  readonly labels: readonly { readonly label: string; readonly score: number }[];
}

/** `POST /v1/models/{name}/predict` of a text-recognition (CTC) pipeline. */
export interface TextPrediction extends PredictionBase {
  readonly text: string;
  /** Mean probability of the recognized characters, from 0 to 1. */
  readonly confidence: number;
}

export type Prediction = ClassificationPrediction | TextPrediction;

/** Every error response: `{"error": "<message>", "code": "<stable_code>"}`. */
export interface ErrorBody {
  readonly error: string;
  readonly code: string;
  readonly requestId?: string;
}
