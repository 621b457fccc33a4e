import type { Config } from '../config';
import { SERVICE } from '../constants';
import { AdminService } from '../core/admin/admin-service';
import { Authenticator } from '../core/auth/authenticator';
import { readOnnxSchema } from '../core/runtime/onnx-schema';
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
      readSchema: readOnnxSchema,
      uploadUrlTtlSeconds: config.uploadUrlTtlSeconds,
    }),
    openApi: buildOpenApiDocument(PLATFORM_VERSION),
  };
}
