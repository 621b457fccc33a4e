import { SharpImageDecoder } from '../adapters/images/sharp-image-decoder';
import { WasmRuntime } from '../adapters/onnx/wasm-runtime';
import type { Config } from '../config';
import { DEFAULT_PRELOAD_BYTES, DEFAULT_PRELOAD_TIMEOUT_MS, SERVICE } from '../constants';
import type { AfterResponse } from '../core/after-response';
import { Authenticator } from '../core/auth/authenticator';
import { BillingService } from '../core/billing/billing-service';
import { InferenceService } from '../core/inference/inference-service';
import { lambdaBackend } from '../core/inference/lambda-backend';
import { modelSessions } from '../core/inference/model-sessions';
import {
  ArtifactPrefetch,
  findPreloadCandidates,
  type PreloadFailure,
  preloadModels,
  withinPreloadBytes,
} from '../core/inference/preload';
import { PredictionService } from '../core/pipelines/prediction-service';
import { ModelResolver } from '../core/registry/model-resolver';
import { SessionCache } from '../core/runtime/session-cache';
import { createDurableMetering } from '../shared/metering';
import { createPlanEnforcement } from '../shared/limits';
import { createGpuBackends } from '../shared/gpu-tier';
import { createStores } from '../shared/stores';
import { createObservability, emfInferenceMetrics } from '../shared/observability';
import { PLATFORM_VERSION } from '../shared/version';
import type { InferenceAppDeps } from './app';

/** What the runner of the inference function gives its wiring besides the configuration. */
export interface InferenceDepsOptions {
  /**
   * Where usage writes go while the response is sent, drained by whatever runs the function
   * (the Lambda extension, the local emulator). Absent: usage is written before the response.
   */
  readonly afterResponse?: AfterResponse;
}

/** Production wiring of the inference function: the composition root's default dependencies. */
export async function createInferenceDeps(
  config: Config,
  options: InferenceDepsOptions = {},
): Promise<InferenceAppDeps> {
  const { logger, metrics, tracer } = createObservability(SERVICE.inference, config.stage);
  const { registry: store, usage: counters, usageSpill, artifacts } = createStores(config, tracer);
  // Usage writes are retried, then spilled for the replay function: never lost, never counted twice.
  const { usage, unconfirmed, onUsageLost } = createDurableMetering({
    store: counters,
    spill: usageSpill,
    logger,
    metrics,
    afterResponse: config.meterAfterResponse === true ? options.afterResponse : undefined,
  });
  // Part of the cold start: the first request of a preloaded model neither loads it nor
  // compiles the code of its run. Bounded, and never fatal. Its registry reads and downloads
  // start first: they wait on the network while onnxruntime initializes, which is CPU work.
  const preloadBytes = Math.min(config.preloadBytes ?? DEFAULT_PRELOAD_BYTES, config.sessionCacheBytes);
  const onPreloadFailure = ({ stage, model, version, error }: PreloadFailure): void =>
    logger.warn('Preloading a model failed', { stage, model, version, error });
  const downloads = new ArtifactPrefetch(artifacts);
  const candidates =
    preloadBytes > 0
      ? findPreloadCandidates({ store, tier: 'lambda', onFailure: onPreloadFailure }).then((versions) => {
          downloads.prefetch(
            withinPreloadBytes(versions, preloadBytes).map((version) => version.artifact.key),
          );
          return versions;
        })
      : undefined;
  const runtime = await WasmRuntime.create({ wasmDir: config.ortWasmDir, numThreads: config.ortNumThreads });
  const cache = new SessionCache({
    runtime,
    maxBytes: config.sessionCacheBytes,
    onReleaseError: (error, sha256) => logger.warn('Releasing an evicted model failed', { sha256, error }),
  });
  const sessions = modelSessions(cache, downloads);
  const preload = await preloadModels({
    store,
    sessions,
    candidates,
    tier: 'lambda',
    maxBytes: preloadBytes,
    timeoutMs: config.preloadTimeoutMs ?? DEFAULT_PRELOAD_TIMEOUT_MS,
    onFailure: onPreloadFailure,
  });
  downloads.clear();
  logger.info('Models preloaded', { ...preload });
  const cacheTtlMs = config.keyCacheTtlSeconds * 1000;
  const resolver = new ModelResolver({ store, cacheTtlMs });
  const { plans, limiter } = createPlanEnforcement(config, tracer, store);
  const inference = new InferenceService({
    resolver,
    plans,
    limiter,
    usage,
    backends: {
      lambda: lambdaBackend(sessions),
      ...createGpuBackends(config, tracer),
    },
    unconfirmed,
    onUsageLost,
  });
  return {
    logger,
    metrics: emfInferenceMetrics(metrics),
    authenticator: new Authenticator({ store, cacheTtlMs }),
    resolver,
    usage,
    billing: new BillingService({ registry: store, usage }),
    inference,
    predictions: new PredictionService({ resolver, serving: inference, images: new SharpImageDecoder() }),
    version: PLATFORM_VERSION,
  };
}
