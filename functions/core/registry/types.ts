import type { PipelineSpec } from '../../api/pipeline-schemas';
import type { TensorSpec } from '../tensors/datatypes';

/** What a key may do. `admin` implies every other scope. */
export const SCOPES = ['infer', 'models:read', 'usage:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Where a model version runs. */
export const TIERS = ['lambda', 'sagemaker'] as const;
export type Tier = (typeof TIERS)[number];

export interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  /** Id of the tenant's plan (`free`, `pro`, ...). */
  readonly plan: string;
  /** When the tenant moved to its current plan (its creation time if it never changed). */
  readonly planSince?: string;
  readonly createdAt: string;
}

/**
 * Prices of one tier or model, as decimal strings in the plan's currency (up to 6
 * decimals, e.g. `"0.40"`): money is never a binary float. Compute is metered time: the
 * model's run on the Lambda tier, endpoint (instance) time on the SageMaker tier.
 */
export interface Price {
  readonly perThousandRequests: string;
  readonly perComputeSecond: string;
}

/**
 * What a tenant buys: limits the data plane enforces and prices billing applies. The
 * billing period is the calendar month in UTC. Absent limits mean unlimited.
 */
export interface Plan {
  /** Stable id, also the name operators type (`free`, `pro`, `enterprise`, ...). */
  readonly planId: string;
  readonly description?: string;
  /** Successful requests per calendar month (UTC); absent: unlimited. */
  readonly monthlyQuota?: number;
  /** Sustained requests per second with a burst allowance; absent: unlimited. */
  readonly rateLimit?: { readonly requestsPerSecond: number; readonly burst: number };
  /** Tiers the plan may call. */
  readonly allowedTiers: readonly Tier[];
  /** Model names the plan may call; absent: every model the tenant can see. */
  readonly allowedModels?: readonly string[];
  /** Largest request body, in bytes (at most the platform's own limit). */
  readonly maxPayloadBytes: number;
  /** ISO 4217 code, e.g. `USD`. */
  readonly currency: string;
  /** Price per tier, and overrides per model name. */
  readonly prices: {
    readonly tiers: Readonly<Record<Tier, Price>>;
    readonly models?: Readonly<Record<string, Price>>;
  };
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A plan change of a tenant, kept for billing and audit. */
export interface PlanChange {
  readonly tenantId: string;
  readonly from?: string;
  readonly to: string;
  readonly at: string;
}

/** A stored API key: only the SHA-256 of the full key is kept. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  /** Hex SHA-256 of the whole key string. */
  readonly hash: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
  readonly name?: string;
}

export type Visibility = 'public' | 'private';

export interface Model {
  readonly name: string;
  readonly visibility: Visibility;
  /** Owner of a private model; absent for public models. */
  readonly ownerTenantId?: string;
  readonly description?: string;
  readonly createdAt: string;
  /** Highest version number allocated so far (0 before the first version). */
  readonly latestVersion: number;
}

/** Where a version's bytes live: content-addressed by SHA-256. */
export interface ArtifactRef {
  readonly sha256: string;
  readonly size: number;
  /** Object key in the artifact store, e.g. `artifacts/sha256/<hex>.onnx`. */
  readonly key: string;
}

/** An immutable, registered version of a model. */
export interface ModelVersion {
  readonly modelName: string;
  /** Decimal version number as a string ("1", "2", ...), as the OIP expects. */
  readonly version: string;
  readonly tier: Tier;
  readonly artifact: ArtifactRef;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly opset?: number;
  readonly createdAt: string;
  /** SageMaker endpoint name serving this version (tier `sagemaker`). */
  readonly endpointName?: string;
  /**
   * The version's Triton model archive on that multi-model endpoint (tier `sagemaker`):
   * `InvokeEndpoint`'s `TargetModel`, `<sha256>.tar.gz` under the endpoint's S3 prefix.
   */
  readonly targetModel?: string;
  /**
   * The inference component serving this version on a component-based endpoint (tier
   * `sagemaker`): `InvokeEndpoint`'s `InferenceComponentName`. Exclusive with `targetModel`.
   */
  readonly inferenceComponent?: string;
  /** How registration checked the file (absent on versions registered before the gate). */
  readonly validation?: VersionValidation;
  /** Agreement with the baseline version named at registration, when one was. */
  readonly agreement?: BaselineAgreement;
  /** Pre- and post-processing of `POST /v1/models/{name}/predict`; absent: only the OIP routes. */
  readonly pipeline?: PipelineSpec;
}

/** What registration ran to accept a version. */
export interface VersionValidation {
  /** The runtime that loaded the model and ran the sample, e.g. `onnxruntime-web 1.30.0 (wasm)`. */
  readonly runtime: string;
  /** The generated sample input's shapes (dynamic dimensions made concrete). */
  readonly sample: readonly { readonly name: string; readonly shape: readonly number[] }[];
}

/**
 * How a version's outputs compare with a baseline version's on the same generated
 * inputs (seeded, so the comparison can be repeated).
 */
export interface BaselineAgreement {
  /** The version compared with. */
  readonly baselineVersion: string;
  /** Inputs run through both versions. */
  readonly samples: number;
  readonly seed: number;
  /** One entry per output both versions have, in the new version's order. */
  readonly outputs: readonly OutputAgreement[];
}

export interface OutputAgreement {
  readonly output: string;
  /** Largest absolute difference over every value where both are finite. */
  readonly maxAbsDiff: number;
  /** Value pairs with no finite difference (NaN or infinity in one version and not the same in the other). */
  readonly nonFiniteMismatches: number;
  /**
   * For classifier-like outputs (floats whose last dimension is a fixed number of classes,
   * at least 2): the share of rows whose largest value is at the same index in both.
   */
  readonly topOneAgreement?: number;
  /** Rows compared for `topOneAgreement`. */
  readonly rows?: number;
}

/** One weighted route of an alias: `weight` percent of its requests go to `version`. */
export interface AliasRoute {
  readonly version: string;
  /** A positive integer; the weights of an alias's routes sum to 100. */
  readonly weight: number;
}

/** Where an alias sends requests: one version, or several with weights (a canary). */
export interface AliasTarget {
  /**
   * The version every request goes to; with `routes`, the route of the largest weight (the
   * stable side of a canary), which listings show.
   */
  readonly version: string;
  /** Two or more routes whose weights sum to 100; absent when one version takes everything. */
  readonly routes?: readonly AliasRoute[];
}

/** A target an alias had before, kept for rollback. */
export interface AliasHistoryEntry extends AliasTarget {
  /** When the alias was set to this target. */
  readonly updatedAt: string;
}

/**
 * A named pointer to a version or to weighted versions (`prod` is the default alias).
 * Every change adds one to `revision` and pushes the target it replaces on `history`.
 */
export interface Alias extends AliasTarget {
  readonly modelName: string;
  readonly alias: string;
  readonly updatedAt: string;
  /** Number of changes so far (absent on aliases written before revisions existed: 0). */
  readonly revision?: number;
  /** Earlier targets, the latest first (at most `ALIAS_HISTORY_LIMIT`); rollback restores the first. */
  readonly history?: readonly AliasHistoryEntry[];
}

/** How many earlier targets an alias keeps for rollback. */
export const ALIAS_HISTORY_LIMIT = 10;
/** The most routes one alias may split its requests over. */
export const MAX_ALIAS_ROUTES = 5;

export const DEFAULT_ALIAS = 'prod';
