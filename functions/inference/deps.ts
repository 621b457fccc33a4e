import { WasmRuntime } from '../adapters/onnx/wasm-runtime';
import type { Config } from '../config';
import { SERVICE } from '../constants';
import { Authenticator } from '../core/auth/authenticator';
import { InferenceService } from '../core/inference/inference-service';
import { lambdaBackend } from '../core/inference/lambda-backend';
import { modelSessions } from '../core/inference/model-sessions';
import { ModelResolver } from '../core/registry/model-resolver';
import { SessionCache } from '../core/runtime/session-cache';
import { createStores } from '../shared/stores';
import { createObservability, emfInferenceMetrics } from '../shared/observability';
import { PLATFORM_VERSION } from '../shared/version';
import type { InferenceAppDeps } from './app';

/** Production wiring of the inference function: the composition root's default dependencies. */
export async function createInferenceDeps(config: Config): Promise<InferenceAppDeps> {
  const { logger, metrics, tracer } = createObservability(SERVICE.inference, config.stage);
  const { registry: store, usage, artifacts } = createStores(config, tracer);
  const runtime = await WasmRuntime.create({ wasmDir: config.ortWasmDir, numThreads: config.ortNumThreads });
  const cache = new SessionCache({
    runtime,
    maxBytes: config.sessionCacheBytes,
    onReleaseError: (error, sha256) => logger.warn('Releasing an evicted model failed', { sha256, error }),
  });
  const cacheTtlMs = config.keyCacheTtlSeconds * 1000;
  const resolver = new ModelResolver({ store, cacheTtlMs });
  return {
    logger,
    metrics: emfInferenceMetrics(metrics),
    authenticator: new Authenticator({ store, cacheTtlMs }),
    resolver,
    usage,
    inference: new InferenceService({
      resolver,
      usage,
      backends: { lambda: lambdaBackend(modelSessions(cache, artifacts)) },
      onUsageLost: (event, error) => logger.error('Usage record lost', { usage: event, error }),
    }),
    version: PLATFORM_VERSION,
  };
}
