import * as z from './api/zod-mini';
import {
  DEFAULT_KEY_CACHE_TTL_SECONDS,
  DEFAULT_SESSION_CACHE_BYTES,
  ENV,
  MAX_ARTIFACT_BYTES,
} from './constants';
import { type GpuEndpointRef, parseGpuEndpoints } from './core/endpoints';

/**
 * Function configuration, read once at cold start from the environment and validated.
 * Every problem is reported at once, naming the variable.
 */
export interface Config {
  readonly stage: string;
  readonly tableName: string;
  readonly artifactBucket: string;
  readonly dynamodbEndpoint?: string;
  readonly s3Endpoint?: string;
  readonly sagemakerEndpoint?: string;
  /** The GPU endpoints (`sagemaker` tier); none when absent. */
  readonly sagemakerEndpoints?: readonly GpuEndpointRef[];
  /** Timeout of one SageMaker endpoint call; the client's default when absent. */
  readonly sagemakerTimeoutMs?: number;
  readonly keyCacheTtlSeconds: number;
  readonly sessionCacheBytes: number;
  readonly ortWasmDir?: string;
  readonly ortNumThreads: number;
  readonly uploadUrlTtlSeconds: number;
  /** Largest model file accepted at registration; `MAX_ARTIFACT_BYTES` when absent. */
  readonly maxModelBytes?: number;
  /** Artifact bytes the inference function preloads at cold start; `DEFAULT_PRELOAD_BYTES` when absent. */
  readonly preloadBytes?: number;
  /** How long its cold start waits for the preload; `DEFAULT_PRELOAD_TIMEOUT_MS` when absent. */
  readonly preloadTimeoutMs?: number;
  /**
   * Whether the inference function writes usage after the response instead of before it,
   * where something drains the writes before the instance may freeze (the Lambda extension,
   * the local emulator); see `AfterResponse`. Absent: off.
   */
  readonly meterAfterResponse?: boolean;
}

const optionalUrl = z.optional(z.url());
const int = (min: number, max: number) => z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max));
const optionalInt = (min: number, max: number) => z.optional(int(min, max));

const schema = z.object({
  [ENV.STAGE]: z._default(z.string().check(z.minLength(1)), 'dev'),
  [ENV.TABLE_NAME]: z.string().check(z.minLength(3)),
  [ENV.ARTIFACT_BUCKET]: z.string().check(z.minLength(3)),
  [ENV.DYNAMODB_ENDPOINT]: optionalUrl,
  [ENV.S3_ENDPOINT]: optionalUrl,
  [ENV.SAGEMAKER_ENDPOINT]: optionalUrl,
  [ENV.SAGEMAKER_ENDPOINTS]: z.optional(
    z.pipe(
      z.string(),
      z.transform((value: string, context) => {
        const { endpoints, problems } = parseGpuEndpoints(value);
        for (const problem of problems)
          context.issues.push({ code: 'custom', message: problem, input: value });
        return endpoints;
      }),
    ),
  ),
  [ENV.SAGEMAKER_TIMEOUT_MS]: optionalInt(100, 60_000),
  [ENV.KEY_CACHE_TTL_SECONDS]: z._default(int(0, 3600), DEFAULT_KEY_CACHE_TTL_SECONDS),
  [ENV.SESSION_CACHE_BYTES]: z._default(int(1024 * 1024, 64 * 1024 ** 3), DEFAULT_SESSION_CACHE_BYTES),
  [ENV.ORT_WASM_DIR]: z.optional(z.string().check(z.minLength(1))),
  [ENV.ORT_NUM_THREADS]: z._default(int(1, 64), 1),
  [ENV.UPLOAD_URL_TTL_SECONDS]: z._default(int(60, 7 * 24 * 3600), 900),
  [ENV.MAX_MODEL_BYTES]: optionalInt(1, MAX_ARTIFACT_BYTES),
  [ENV.PRELOAD_BYTES]: optionalInt(0, 64 * 1024 ** 3),
  [ENV.PRELOAD_TIMEOUT_MS]: optionalInt(0, 9000),
  [ENV.METER_AFTER_RESPONSE]: z._default(z.enum(['true', 'false']), 'true'),
});

export class ConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const v = parsed.data;
  return {
    stage: v[ENV.STAGE],
    tableName: v[ENV.TABLE_NAME],
    artifactBucket: v[ENV.ARTIFACT_BUCKET],
    dynamodbEndpoint: v[ENV.DYNAMODB_ENDPOINT],
    s3Endpoint: v[ENV.S3_ENDPOINT],
    sagemakerEndpoint: v[ENV.SAGEMAKER_ENDPOINT],
    sagemakerEndpoints: v[ENV.SAGEMAKER_ENDPOINTS],
    sagemakerTimeoutMs: v[ENV.SAGEMAKER_TIMEOUT_MS],
    keyCacheTtlSeconds: v[ENV.KEY_CACHE_TTL_SECONDS],
    sessionCacheBytes: v[ENV.SESSION_CACHE_BYTES],
    ortWasmDir: v[ENV.ORT_WASM_DIR],
    ortNumThreads: v[ENV.ORT_NUM_THREADS],
    uploadUrlTtlSeconds: v[ENV.UPLOAD_URL_TTL_SECONDS],
    maxModelBytes: v[ENV.MAX_MODEL_BYTES],
    preloadBytes: v[ENV.PRELOAD_BYTES],
    preloadTimeoutMs: v[ENV.PRELOAD_TIMEOUT_MS],
    meterAfterResponse: v[ENV.METER_AFTER_RESPONSE] === 'true',
  };
}
