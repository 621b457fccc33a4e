import { SharpImageDecoder } from '../adapters/images/sharp-image-decoder';
import { WasmRuntime } from '../adapters/onnx/wasm-runtime';
import type { Config } from '../config';
import { DEFAULT_PRELOAD_BYTES, DEFAULT_PRELOAD_TIMEOUT_MS, SERVICE } from '../constants';
import { Authenticator } from '../core/auth/authenticator';
import { BillingService } from '../core/billing/billing-service';
import { InferenceService } from '../core/inference/inference-service';
import { lambdaBackend } from '../core/inference/lambda-backend';
import { modelSessions } from '../core/inference/model-sessions';
import { preloadModels } from '../core/inference/preload';
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

/** Production wiring of the inference function: the composition root's default dependencies. */
export async function createInferenceDeps(config: Config): Promise<InferenceAppDeps> {
  const { logger, metrics, tracer } = createObservability(SERVICE.inference, config.stage);
  const { registry: store, usage: counters, usageSpill, artifacts } = createStores(config, tracer);
  // Usage writes are retried, then spilled for the replay function: never lost, never counted twice.
  const { usage, onUsageLost } = createDurableMetering({
    store: counters,
    spill: usageSpill,
    logger,
    metrics,
  });
  const runtime = await WasmRuntime.create({ wasmDir: config.ortWasmDir, numThreads: config.ortNumThreads });
  const cache = new SessionCache({
    runtime,
    maxBytes: config.sessionCacheBytes,
    onReleaseError: (error, sha256) => logger.warn('Releasing an evicted model failed', { sha256, error }),
  });
  const sessions = modelSessions(cache, artifacts);
  // Part of the cold start: the first request of a preloaded model neither loads it nor
  // compiles the code of its run. Bounded, and never fatal.
  const preload = await preloadModels({
    store,
    sessions,
    tier: 'lambda',
    maxBytes: Math.min(config.preloadBytes ?? DEFAULT_PRELOAD_BYTES, config.sessionCacheBytes),
    timeoutMs: config.preloadTimeoutMs ?? DEFAULT_PRELOAD_TIMEOUT_MS,
    onFailure: ({ stage, model, version, error }) =>
      logger.warn('Preloading a model failed', { stage, model, version, error }),
  });
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
    onUsageLost,
    onReleaseLost: (reservation, error) =>
      logger.warn('A failed request kept its quota unit: releasing it failed', { reservation, error }),
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
