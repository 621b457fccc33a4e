import type { Context, Hono } from 'hono';
import type { Authenticator } from '../core/auth/authenticator';
import type { AdminService } from '../core/admin/admin-service';
import type { PlanService } from '../core/admin/plan-service';
import type { BillingService } from '../core/billing/billing-service';
import { BadRequestError, NotFoundError } from '../core/errors';
import { parseMonth } from '../core/metering/report';
import {
  NAME_PATTERN,
  createKeySchema,
  createModelSchema,
  createPlanSchema,
  createTenantSchema,
  createUploadSchema,
  createVersionSchema,
  putAliasSchema,
  rotateKeySchema,
  setTenantPlanSchema,
  updatePlanSchema,
} from '../api/schemas';
import type { KeyList, ModelList, PlanChangeList, PlanList, TenantList, VersionList } from '../api/views';
import type { AppEnv } from '../http/app-env';
import { authorize } from '../http/auth';
import { createApp } from '../http/create-app';
import { readJsonBody } from '../http/json-body';
import type { AppLogger } from '../http/logger';
import { readQuery } from '../http/query';
import { parseReportFormat, reportResponse } from '../http/usage-report';
import { parseWith } from '../http/validate';

export interface AdminAppDeps {
  readonly authenticator: Authenticator;
  readonly admin: AdminService;
  /** Plans and tenants' plans. */
  readonly plans: PlanService;
  /** Usage reports priced by plan (`GET /admin/reports/usage`). */
  readonly billing: BillingService;
  readonly logger: AppLogger;
  /** The OpenAPI document served at `/openapi.json`. */
  readonly openApi: object;
}

/** The control plane: tenants, keys, uploads, models, versions, aliases and usage. */
export function createAdminApp(deps: AdminAppDeps): Hono<AppEnv> {
  const app = createApp(deps.logger);
  const { admin } = deps;
  const asAdmin = (c: Context<AppEnv>) => authorize(c, deps.authenticator, 'admin');
  const body = async <S extends Parameters<typeof parseWith>[0]>(c: Context<AppEnv>, schema: S) =>
    parseWith(schema, (await readJsonBody(c)).value);

  app.get('/openapi.json', (c) => c.json(deps.openApi));

  app.post('/admin/tenants', async (c) => {
    await asAdmin(c);
    return c.json(await admin.createTenant(await body(c, createTenantSchema)), 201);
  });
  app.get('/admin/tenants', async (c) => {
    await asAdmin(c);
    const result: TenantList = { tenants: await admin.listTenants() };
    return c.json(result);
  });
  app.get('/admin/tenants/:tenantId', async (c) => {
    await asAdmin(c);
    const tenantId = c.req.param('tenantId');
    if (!isTenantId(tenantId)) {
      throw new NotFoundError('tenant_not_found', `Tenant "${tenantId.slice(0, 64)}" was not found`);
    }
    return c.json(await admin.getTenant(tenantId));
  });
  app.put('/admin/tenants/:tenantId/plan', async (c) => {
    await asAdmin(c);
    const tenantId = tenantIdParam(c);
    const request = await body(c, setTenantPlanSchema);
    return c.json(await deps.plans.setTenantPlan(tenantId, request.plan));
  });
  app.get('/admin/tenants/:tenantId/plan-changes', async (c) => {
    await asAdmin(c);
    const tenantId = tenantIdParam(c);
    const result: PlanChangeList = { tenantId, changes: await deps.plans.listPlanChanges(tenantId) };
    return c.json(result);
  });

  app.post('/admin/plans', async (c) => {
    await asAdmin(c);
    return c.json(await deps.plans.create(await body(c, createPlanSchema)), 201);
  });
  app.get('/admin/plans', async (c) => {
    await asAdmin(c);
    const result: PlanList = { plans: await deps.plans.list() };
    return c.json(result);
  });
  app.get('/admin/plans/:planId', async (c) => {
    await asAdmin(c);
    return c.json(await deps.plans.get(planIdParam(c)));
  });
  app.patch('/admin/plans/:planId', async (c) => {
    await asAdmin(c);
    const planId = planIdParam(c);
    return c.json(await deps.plans.update(planId, await body(c, updatePlanSchema)));
  });

  app.post('/admin/keys', async (c) => {
    await asAdmin(c);
    return c.json(await admin.createKey(await body(c, createKeySchema)), 201);
  });
  app.get('/admin/keys', async (c) => {
    await asAdmin(c);
    const { tenantId } = readQuery(c, ['tenantId']);
    if (tenantId === undefined || !isTenantId(tenantId)) {
      throw new BadRequestError(
        'invalid_request',
        'Pass the tenant whose keys to list as ?tenantId=<id> (1 to 64 characters)',
      );
    }
    const result: KeyList = { keys: await admin.listKeys(tenantId) };
    return c.json(result);
  });
  app.post('/admin/keys/:keyId/revoke', async (c) => {
    await asAdmin(c);
    return c.json(await admin.revokeKey(keyIdParam(c)));
  });
  app.post('/admin/keys/:keyId/rotate', async (c) => {
    await asAdmin(c);
    const keyId = keyIdParam(c);
    // The body is optional: an empty one takes every default.
    const empty = (await c.req.arrayBuffer()).byteLength === 0;
    const request = parseWith(rotateKeySchema, empty ? {} : (await readJsonBody(c)).value);
    return c.json(await admin.rotateKey(keyId, request), 201);
  });

  app.post('/admin/uploads', async (c) => {
    await asAdmin(c);
    const request = (c.req.header('content-length') ?? '0') === '0' ? {} : await body(c, createUploadSchema);
    return c.json(await admin.createUpload(request.size), 201);
  });

  app.post('/admin/models', async (c) => {
    await asAdmin(c);
    return c.json(await admin.createModel(await body(c, createModelSchema)), 201);
  });
  app.get('/admin/models', async (c) => {
    await asAdmin(c);
    const result: ModelList = { models: await admin.listModels() };
    return c.json(result);
  });
  app.get('/admin/models/:name', async (c) => {
    await asAdmin(c);
    return c.json(await admin.getModel(modelName(c)));
  });
  app.post('/admin/models/:name/versions', async (c) => {
    await asAdmin(c);
    const name = modelName(c);
    const request = await body(c, createVersionSchema);
    return c.json(
      await admin.createVersion(name, request.uploadId, request.tier, {
        pipeline: request.pipeline,
        baseline: request.baseline,
        endpoint: request.endpoint,
      }),
      201,
    );
  });
  app.get('/admin/models/:name/versions', async (c) => {
    await asAdmin(c);
    const result: VersionList = { versions: await admin.listVersions(modelName(c)) };
    return c.json(result);
  });
  app.put('/admin/models/:name/aliases/:alias', async (c) => {
    await asAdmin(c);
    const name = modelName(c);
    const alias = c.req.param('alias');
    if (!NAME_PATTERN.test(alias)) {
      throw new BadRequestError(
        'invalid_alias',
        `Alias "${alias.slice(0, 64)}" must match ${NAME_PATTERN.source}`,
      );
    }
    const request = await body(c, putAliasSchema);
    return c.json(await admin.setAlias(name, alias, request));
  });
  app.post('/admin/models/:name/aliases/:alias/rollback', async (c) => {
    await asAdmin(c);
    const name = modelName(c);
    const alias = c.req.param('alias');
    if (!NAME_PATTERN.test(alias)) {
      throw new NotFoundError('alias_not_found', `Model "${name}" has no alias "${alias.slice(0, 64)}"`);
    }
    return c.json(await admin.rollbackAlias(name, alias));
  });

  app.get('/admin/usage', async (c) => {
    await asAdmin(c);
    const { month, tenantId } = readQuery(c, ['month', 'tenantId']);
    if (tenantId !== undefined && tenantId !== '' && !isTenantId(tenantId)) {
      throw new BadRequestError('invalid_request', '"tenantId" must be 1 to 64 characters');
    }
    return c.json(await admin.usage(parseMonth(month), tenantId === '' ? undefined : tenantId));
  });

  app.get('/admin/reports/usage', async (c) => {
    await asAdmin(c);
    const query = readQuery(c, ['month', 'tenantId', 'format']);
    const month = parseMonth(query.month);
    const format = parseReportFormat(query.format);
    const { tenantId } = query;
    if (tenantId !== undefined && !isTenantId(tenantId)) {
      throw new BadRequestError('invalid_request', '"tenantId" must be 1 to 64 characters');
    }
    return reportResponse(c, await deps.billing.report(month, tenantId), format);
  });

  return app;
}

/** Tenant ids are at most 64 characters (`createKeySchema`); longer ones cannot exist. */
function isTenantId(value: string): boolean {
  return value.length >= 1 && value.length <= 64;
}

/** A tenant id path parameter; one that cannot exist is a tenant that does not. */
function tenantIdParam(c: Context<AppEnv>): string {
  const raw = c.req.param('tenantId') ?? '';
  if (!isTenantId(raw)) {
    throw new NotFoundError('tenant_not_found', `Tenant "${raw.slice(0, 64)}" was not found`);
  }
  return raw;
}

/** Plan ids follow the rules of names; anything else is a plan that does not exist. */
function planIdParam(c: Context<AppEnv>): string {
  const raw = c.req.param('planId') ?? '';
  if (!NAME_PATTERN.test(raw)) {
    throw new NotFoundError('plan_not_found', `Plan "${raw.slice(0, 64)}" was not found`);
  }
  return raw;
}

/** Key ids are 16 hex digits; anything else is a key that does not exist. */
function keyIdParam(c: Context<AppEnv>): string {
  const raw = c.req.param('keyId') ?? '';
  if (!/^[0-9a-f]{16}$/.test(raw)) {
    throw new NotFoundError('key_not_found', `Key "${raw.slice(0, 64)}" was not found`);
  }
  return raw;
}

function modelName(c: Context<AppEnv>): string {
  const raw = c.req.param('name') ?? '';
  if (!NAME_PATTERN.test(raw))
    throw new NotFoundError('model_not_found', `Model "${raw.slice(0, 64)}" was not found`);
  return raw;
}
