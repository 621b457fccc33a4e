import type { Config } from '../config';
import { wasmTierRuntimes } from '../adapters/onnx/tier-runtimes';
import { MAX_ARTIFACT_BYTES, SERVICE } from '../constants';
import { AdminService } from '../core/admin/admin-service';
import { PlanService } from '../core/admin/plan-service';
import { Authenticator } from '../core/auth/authenticator';
import { BillingService } from '../core/billing/billing-service';
import { ModelValidator } from '../core/validation';
import { createStores } from '../shared/stores';
import { createObservability } from '../shared/observability';
import { PLATFORM_VERSION } from '../shared/version';
import type { AdminAppDeps } from './app';
import { buildOpenApiDocument } from './openapi';

/** Production wiring of the admin function: the composition root's default dependencies. */
export function createAdminDeps(config: Config): AdminAppDeps {
  const { logger, tracer } = createObservability(SERVICE.admin, config.stage);
  const { registry: store, usage, artifacts } = createStores(config, tracer);
  return {
    logger,
    authenticator: new Authenticator({ store, cacheTtlMs: config.keyCacheTtlSeconds * 1000 }),
    admin: new AdminService({
      store,
      artifacts,
      usage,
      // Models are checked on the inference function's runtime, configured the same way.
      validator: new ModelValidator({
        runtimes: wasmTierRuntimes({ wasmDir: config.ortWasmDir, numThreads: config.ortNumThreads }),
        maxModelBytes: config.maxModelBytes ?? MAX_ARTIFACT_BYTES,
      }),
      onCleanupError: (error, key) =>
        logger.warn('Removing an object after registration failed', { key, error }),
      uploadUrlTtlSeconds: config.uploadUrlTtlSeconds,
      gpuEndpoints: config.sagemakerEndpoints,
    }),
    plans: new PlanService({ store }),
    billing: new BillingService({ registry: store, usage }),
    openApi: buildOpenApiDocument(PLATFORM_VERSION),
  };
}
