/**
 * Names shared by the CDK app (`infra/`), the Lambda functions (`functions/`) and the
 * local platform (`local/`). The infrastructure writes these variables; the functions read
 * them once at cold start through `loadConfig()`.
 */
export const ENV = {
  /** DynamoDB table holding the registry and usage counters. */
  TABLE_NAME: 'INFERGATE_TABLE_NAME',
  /** S3 bucket holding model artifacts (content-addressed) and pending uploads. */
  ARTIFACT_BUCKET: 'INFERGATE_ARTIFACT_BUCKET',
  /** Optional endpoint override for DynamoDB (the embedded local server). */
  DYNAMODB_ENDPOINT: 'INFERGATE_DYNAMODB_ENDPOINT',
  /** Optional endpoint override for S3 (the local artifact store). */
  S3_ENDPOINT: 'INFERGATE_S3_ENDPOINT',
  /** Optional endpoint override for SageMaker Runtime (the local endpoint server). */
  SAGEMAKER_ENDPOINT: 'INFERGATE_SAGEMAKER_ENDPOINT',
  /**
   * The GPU endpoints of the deployment (the `sagemaker` tier), as comma-separated
   * `<catalog name>=<SageMaker endpoint name>` pairs, e.g. `ocr-rec=infergate-prod-ocr-rec`.
   * Empty or absent: the deployment has no `sagemaker` tier.
   */
  SAGEMAKER_ENDPOINTS: 'INFERGATE_SAGEMAKER_ENDPOINTS',
  /** How long one SageMaker endpoint call may take, in milliseconds, before it is a 504. */
  SAGEMAKER_TIMEOUT_MS: 'INFERGATE_SAGEMAKER_TIMEOUT_MS',
  /** How long an authenticated key stays cached in a warm function, in seconds (0 disables). */
  KEY_CACHE_TTL_SECONDS: 'INFERGATE_KEY_CACHE_TTL_SECONDS',
  /** Upper bound of the bytes of model sessions kept in memory by one function instance. */
  SESSION_CACHE_BYTES: 'INFERGATE_SESSION_CACHE_BYTES',
  /** Directory holding onnxruntime-web's `.wasm` file, when it is not next to the package. */
  ORT_WASM_DIR: 'INFERGATE_ORT_WASM_DIR',
  /** WASM threads for onnxruntime-web (1 on Lambda). */
  ORT_NUM_THREADS: 'INFERGATE_ORT_NUM_THREADS',
  /**
   * Artifact bytes of `prod` Lambda-tier models the inference function loads at cold start,
   * before its first request (0 turns preloading off).
   */
  PRELOAD_BYTES: 'INFERGATE_PRELOAD_BYTES',
  /** How long the inference function's cold start waits for preloading, in milliseconds. */
  PRELOAD_TIMEOUT_MS: 'INFERGATE_PRELOAD_TIMEOUT_MS',
  /**
   * `true` (the default) or `false`: whether the inference function writes usage after the
   * response (drained before the instance may freeze: the Lambda extension, the local
   * emulator) rather than before it. Without a drainer it writes before, whatever this says.
   */
  METER_AFTER_RESPONSE: 'INFERGATE_METER_AFTER_RESPONSE',
  /** Stage name (`dev`, `prod`, `local`), logged with every record. */
  STAGE: 'INFERGATE_STAGE',
  /** Lifetime of presigned upload URLs, in seconds. */
  UPLOAD_URL_TTL_SECONDS: 'INFERGATE_UPLOAD_URL_TTL_SECONDS',
  /** Largest model file accepted at registration, in bytes (at most `MAX_ARTIFACT_BYTES`). */
  MAX_MODEL_BYTES: 'INFERGATE_MAX_MODEL_BYTES',
  /** Secrets Manager secret holding the bootstrap admin key (AWS only). */
  ADMIN_KEY_SECRET_ARN: 'INFERGATE_ADMIN_KEY_SECRET_ARN',
} as const;

/** Powertools service names, one per function. */
export const SERVICE = {
  inference: 'infergate-inference',
  admin: 'infergate-admin',
  bootstrap: 'infergate-bootstrap',
  usageReplay: 'infergate-usage-replay',
} as const;

/**
 * Metering metrics (Powertools EMF, namespace `METRICS_NAMESPACE`, dimension `service`):
 * the inference function counts usage writes spilled and lost, the replay function what it
 * replayed, what failed, and what is left in the spill after each run.
 */
export const USAGE_METRICS = {
  spilled: 'UsageSpilled',
  lost: 'UsageLost',
  replayed: 'UsageReplayed',
  replayFailed: 'UsageReplayFailed',
  spillBacklog: 'UsageSpillBacklog',
} as const;

/**
 * Prefix of spilled usage writes in the artifact bucket (one JSON object per write,
 * `<prefix><writer>-<sequence>.json`); the inference function may only put objects there.
 */
export const USAGE_SPILL_PREFIX = 'spill/usage/';

/** CloudWatch namespace of the platform's EMF metrics (the dashboard and alarms read it). */
export const METRICS_NAMESPACE = 'Infergate';

/** Lambda's synchronous payload limit; API Gateway rejects larger bodies too. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

/**
 * Largest response body the data plane sends: Lambda's 6 MB response limit counts the whole
 * payload (status, headers, JSON envelope), so the body keeps 64 KiB clear of it.
 */
export const MAX_RESPONSE_BODY_BYTES = MAX_BODY_BYTES - 64 * 1024;

/** Largest model artifact accepted at registration. */
export const MAX_ARTIFACT_BYTES = 512 * 1024 * 1024;

/** Default key cache TTL in AWS; revocation holds within this many seconds. */
export const DEFAULT_KEY_CACHE_TTL_SECONDS = 60;

/** Default bound of the session cache (bytes of model artifacts kept loaded). */
export const DEFAULT_SESSION_CACHE_BYTES = 512 * 1024 * 1024;

/** Default of `INFERGATE_PRELOAD_BYTES`: at most this many artifact bytes are loaded at cold start. */
export const DEFAULT_PRELOAD_BYTES = 128 * 1024 * 1024;

/**
 * Default of `INFERGATE_PRELOAD_TIMEOUT_MS`. The first invocation waits for the cold start,
 * preloading included: this bounds what a preload can add to it (Lambda's init phase has 10 s).
 */
export const DEFAULT_PRELOAD_TIMEOUT_MS = 3000;

/** The tenant id that owns operator (admin) keys. It is not a customer tenant. */
export const OPERATOR_TENANT_ID = 'operator';
