import type { Context, Hono } from 'hono';
import type { Authenticator } from '../core/auth/authenticator';
import type { BillingService } from '../core/billing/billing-service';
import { NotFoundError } from '../core/errors';
import type { Principal } from '../core/auth/principal';
import type { InferenceResult, InferenceService } from '../core/inference/inference-service';
import { parseMonth, totalsOf } from '../core/metering/report';
import type { UsageStore } from '../core/metering/types';
import type { PredictionService } from '../core/pipelines/prediction-service';
import type { ModelResolver } from '../core/registry/model-resolver';
import { NAME_PATTERN } from '../api/pipeline-schemas';
import type { TenantModelList, TenantUsageReport } from '../api/views';
import type { AppEnv } from '../http/app-env';
import { authorize } from '../http/auth';
import { createApp } from '../http/create-app';
import { readImageBody } from '../http/image-body';
import { readJsonBody } from '../http/json-body';
import type { AppLogger } from '../http/logger';
import { readQuery } from '../http/query';

/** Per-model metrics of the data plane (Powertools EMF in Lambda). */
export interface InferenceMetrics {
  record(model: string, latencyMs: number, error: boolean): void;
}

export interface InferenceAppDeps {
  readonly authenticator: Authenticator;
  readonly resolver: ModelResolver;
  readonly inference: InferenceService;
  /** Runs models through their pipelines for `POST /v1/models/{name}/predict`. */
  readonly predictions: PredictionService;
  readonly usage: UsageStore;
  /** Prices the tenant's usage by its plans for `GET /v1/usage`. */
  readonly billing: BillingService;
  readonly logger: AppLogger;
  readonly metrics?: InferenceMetrics;
  readonly version: string;
}

/**
 * The data plane: the Open Inference Protocol (KServe v2) routes and the tenant's usage.
 */
export function createInferenceApp(deps: InferenceAppDeps): Hono<AppEnv> {
  const app = createApp(deps.logger);
  const { authenticator, resolver, inference } = deps;

  app.get('/v2', (c) => c.json({ name: 'infergate', version: deps.version, extensions: [] }));
  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) => c.json({ ready: true }));

  const metadata = async (c: Context<AppEnv>) => {
    const principal = await authorize(c, authenticator, 'models:read');
    return c.json(
      await inference.metadata(principal, modelName(c.req.param('name')), c.req.param('version')),
    );
  };
  app.get('/v2/models/:name', metadata);
  app.get('/v2/models/:name/versions/:version', metadata);

  const ready = async (c: Context<AppEnv>) => {
    const principal = await authorize(c, authenticator, 'models:read');
    const version = await inference.ready(principal, modelName(c.req.param('name')), c.req.param('version'));
    return c.json({ name: version.modelName, version: version.version, ready: true });
  };
  app.get('/v2/models/:name/ready', ready);
  app.get('/v2/models/:name/versions/:version/ready', ready);

  /**
   * A route that runs a model: authorizes `infer`, runs it, answers its JSON body with the
   * served version and the plan's headers, and records the model's request metrics.
   */
  const runsModel =
    (run: (c: Context<AppEnv>, principal: Principal, name: string) => Promise<InferenceResult>) =>
    async (c: Context<AppEnv>) => {
      const principal = await authorize(c, authenticator, 'infer');
      const name = modelName(c.req.param('name'));
      const started = performance.now();
      let failed = true;
      try {
        const result = await run(c, principal, name);
        failed = false;
        return c.body(result.body, 200, {
          ...result.headers,
          'content-type': 'application/json',
          'x-model-version': result.version,
        });
      } finally {
        deps.metrics?.record(name, performance.now() - started, failed);
      }
    };

  const infer = runsModel(async (c, principal, name) => {
    const body = await readJsonBody(c);
    return inference.infer(principal, name, c.req.param('version'), body.value, body.bytes);
  });
  app.post('/v2/models/:name/infer', infer);
  app.post('/v2/models/:name/versions/:version/infer', infer);

  // Task routes: an image in, the result of the version's pipeline out.
  const predict = runsModel(async (c, principal, name) =>
    deps.predictions.predict(principal, name, c.req.param('version'), await readImageBody(c)),
  );
  app.post('/v1/models/:name/predict', predict);
  app.post('/v1/models/:name/versions/:version/predict', predict);

  app.get('/v1/models', async (c) => {
    const principal = await authorize(c, authenticator, 'models:read');
    const visible = await resolver.listVisible(principal);
    const body: TenantModelList = {
      models: visible.map(({ model, aliases }) => ({
        name: model.name,
        visibility: model.visibility,
        description: model.description,
        aliases: Object.fromEntries(aliases.map((alias) => [alias.alias, alias.version])),
      })),
    };
    return c.json(body);
  });

  app.get('/v1/usage', async (c) => {
    const principal = await authorize(c, authenticator, 'usage:read');
    const month = parseMonth(readQuery(c, ['month']).month);
    const rows = await deps.usage.listTenantMonth(principal.tenantId, month);
    const body: TenantUsageReport = {
      month,
      tenantId: principal.tenantId,
      rows,
      totals: totalsOf(rows),
      charges: await deps.billing.charges(principal.tenantId, month, rows),
    };
    return c.json(body);
  });

  return app;
}

/** Names that cannot exist are answered like names that do not. */
function modelName(raw: string | undefined): string {
  if (raw === undefined || !NAME_PATTERN.test(raw)) {
    throw new NotFoundError('model_not_found', `Model "${(raw ?? '').slice(0, 64)}" was not found`);
  }
  return raw;
}
