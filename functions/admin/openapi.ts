import { z } from 'zod';
import { ROUTES, type RouteSpec } from '../routes';
import {
  createKeySchema,
  createModelSchema,
  createPlanSchema,
  createTenantSchema,
  createUploadSchema,
  createVersionSchema,
  pipelineSchema,
  predictRequestSchema,
  putAliasSchema,
  planSchema,
  rotateKeySchema,
  setTenantPlanSchema,
  updatePlanSchema,
} from '../api/schemas';
import { DATATYPES } from '../core/tensors/datatypes';
import { SCOPES, TIERS } from '../core/registry/types';

/**
 * The OpenAPI 3.1 document of every route in `ROUTES`, served at `/openapi.json`.
 * Request bodies of the admin API come from the same zod schemas that validate them.
 */
type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const fromZod = (schema: z.core.$ZodType): Schema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Schema;
  return rest;
};

const str = { type: 'string' };
const int = { type: 'integer' };
const num = { type: 'number' };
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object',
  properties,
  required,
});
const arr = (items: Schema): Schema => ({ type: 'array', items });
/** A decimal string (money, prices, seconds): never a binary float. */
const money = (description: string): Schema => ({
  type: 'string',
  pattern: '^[0-9]+(\\.[0-9]+)?$',
  description,
});

const tensorSpec = obj({ name: str, datatype: { enum: [...DATATYPES] }, shape: arr(int) });
const scalar = { oneOf: [num, str, { type: 'boolean' }] };
const tensorData = { oneOf: [scalar, arr({})] };

const schemas: Record<string, Schema> = {
  Error: obj({ error: str, code: str, requestId: str }, ['error', 'code']),
  TensorSpec: tensorSpec,
  InferRequest: obj(
    {
      id: str,
      parameters: { type: 'object' },
      inputs: arr(
        obj(
          {
            name: str,
            shape: arr(int),
            datatype: { enum: [...DATATYPES] },
            data: tensorData,
            parameters: { type: 'object' },
          },
          ['name', 'shape', 'datatype', 'data'],
        ),
      ),
      outputs: arr(obj({ name: str, parameters: { type: 'object' } }, ['name'])),
    },
    ['inputs'],
  ),
  InferResponse: obj(
    {
      model_name: str,
      model_version: str,
      id: str,
      outputs: arr(obj({ name: str, datatype: str, shape: arr(int), data: arr(scalar) })),
    },
    ['model_name', 'model_version', 'outputs'],
  ),
  ModelMetadata: obj({
    name: str,
    versions: arr(str),
    platform: str,
    inputs: arr(ref('TensorSpec')),
    outputs: arr(ref('TensorSpec')),
  }),
  Tenant: obj(
    {
      tenantId: str,
      name: str,
      plan: { type: 'string', description: 'Id of the plan the tenant is on' },
      planSince: { type: 'string', format: 'date-time', description: 'When the tenant moved to its plan' },
      createdAt: { type: 'string', format: 'date-time' },
    },
    ['tenantId', 'name', 'plan', 'createdAt'],
  ),
  Plan: fromZod(planSchema),
  PlanChange: obj(
    {
      tenantId: str,
      from: { type: 'string', description: 'The plan before; absent for the plan the tenant was created on' },
      to: str,
      at: { type: 'string', format: 'date-time' },
    },
    ['tenantId', 'to', 'at'],
  ),
  Key: obj(
    {
      keyId: str,
      tenantId: str,
      scopes: arr({ enum: [...SCOPES] }),
      createdAt: str,
      expiresAt: str,
      revokedAt: str,
      name: str,
    },
    ['keyId', 'tenantId', 'scopes', 'createdAt'],
  ),
  CreatedKey: obj(
    {
      key: { type: 'string', description: 'Shown once; only its SHA-256 is stored.' },
      keyId: str,
      tenantId: str,
      scopes: arr(str),
      createdAt: str,
      expiresAt: str,
    },
    ['key', 'keyId', 'tenantId', 'scopes', 'createdAt'],
  ),
  RotatedKey: obj(
    {
      key: { type: 'string', description: 'Shown once; only its SHA-256 is stored.' },
      keyId: str,
      tenantId: str,
      scopes: arr(str),
      createdAt: str,
      expiresAt: str,
      name: str,
      replaced: obj(
        {
          keyId: str,
          expiresAt: { type: 'string', description: 'When the replaced key stops working.' },
        },
        ['keyId', 'expiresAt'],
      ),
    },
    ['key', 'keyId', 'tenantId', 'scopes', 'createdAt', 'replaced'],
  ),
  UploadTicket: obj({ uploadId: str, url: str, method: { const: 'PUT' }, expiresAt: str }),
  Model: obj(
    {
      name: str,
      visibility: { enum: ['public', 'private'] },
      ownerTenantId: str,
      description: str,
      createdAt: str,
      latestVersion: int,
    },
    ['name', 'visibility', 'createdAt', 'latestVersion'],
  ),
  ModelVersion: obj(
    {
      modelName: str,
      version: str,
      tier: { enum: [...TIERS] },
      artifact: obj({ sha256: str, size: int, key: str }),
      inputs: arr(ref('TensorSpec')),
      outputs: arr(ref('TensorSpec')),
      opset: int,
      createdAt: str,
      endpointName: { ...str, description: 'Tier sagemaker: the SageMaker endpoint serving the version' },
      targetModel: {
        ...str,
        description: "Tier sagemaker: the version's Triton model archive on that endpoint (TargetModel)",
      },
      inferenceComponent: {
        ...str,
        description:
          'Tier sagemaker, on an endpoint that scales to zero: the inference component serving the version (InferenceComponentName)',
      },
      pipeline: { ...ref('Pipeline'), description: 'Pre- and post-processing of the predict routes' },
      validation: {
        ...obj({ runtime: str, sample: arr(obj({ name: str, shape: arr(int) })) }),
        description: 'The runtime that checked the model at registration and the generated sample it ran',
      },
      agreement: {
        ...obj({
          baselineVersion: str,
          samples: int,
          seed: int,
          outputs: arr(
            obj({ output: str, maxAbsDiff: num, nonFiniteMismatches: int, topOneAgreement: num, rows: int }, [
              'output',
              'maxAbsDiff',
              'nonFiniteMismatches',
            ]),
          ),
        }),
        description:
          'Agreement with the baseline version named at registration, on the same generated inputs',
      },
    },
    ['modelName', 'version', 'tier', 'artifact', 'inputs', 'outputs', 'createdAt'],
  ),
  AliasRoute: obj({
    version: str,
    weight: { type: 'integer', minimum: 1, maximum: 100, description: 'Percent of requests.' },
  }),
  Alias: obj(
    {
      modelName: str,
      alias: str,
      version: {
        type: 'string',
        description: 'The version requests go to; with routes, the route of the largest weight.',
      },
      routes: {
        ...arr(ref('AliasRoute')),
        description: 'Weighted split (weights sum to 100); absent when one version takes every request.',
      },
      updatedAt: str,
      revision: { type: 'integer', description: 'Number of changes so far.' },
      history: {
        ...arr(
          obj({ version: str, routes: arr(ref('AliasRoute')), updatedAt: str }, ['version', 'updatedAt']),
        ),
        description: 'Earlier targets, the latest first (at most 10); rollback restores the first.',
      },
    },
    ['modelName', 'alias', 'version', 'updatedAt'],
  ),
  UsageRow: obj({
    tenantId: str,
    day: str,
    modelName: str,
    version: str,
    plan: { type: 'string', description: 'The plan the requests were served under' },
    requests: int,
    errors: int,
    computeMs: num,
    inputBytes: int,
    outputBytes: int,
  }),
  UsageReport: obj(
    {
      month: str,
      tenantId: str,
      rows: arr(ref('UsageRow')),
      totals: obj({ requests: int, errors: int, computeMs: num, inputBytes: int, outputBytes: int }),
    },
    ['month', 'rows', 'totals'],
  ),
  BillingLine: obj({
    tenantId: str,
    modelName: str,
    version: str,
    tier: { enum: [...TIERS] },
    plan: { type: 'string', description: 'The plan the requests were served under; its prices apply.' },
    currency: { type: 'string', description: 'ISO 4217 code of the plan' },
    requests: { type: 'integer', description: 'Successful requests: the billed ones.' },
    errors: { type: 'integer', description: 'Failed requests: listed, not billed.' },
    computeSeconds: money('Metered compute in seconds, 3 decimals'),
    priceSource: { enum: ['model', 'tier'] },
    pricePerThousandRequests: money('Unit price, up to 6 decimals'),
    pricePerComputeSecond: money('Unit price, up to 6 decimals'),
    requestsAmount: money('requests × price / 1000, rounded half-up to the minor unit'),
    computeAmount: money('computeSeconds × price, rounded half-up to the minor unit'),
    amount: money('requestsAmount + computeAmount'),
  }),
  BillingTotal: obj({
    currency: str,
    requests: int,
    errors: int,
    computeSeconds: money('Sum of the lines'),
    requestsAmount: money('Sum of the lines'),
    computeAmount: money('Sum of the lines'),
    amount: money('Sum of the lines'),
  }),
  BillingReport: obj(
    {
      month: str,
      period: obj({ start: str, end: { type: 'string', description: 'Exclusive' } }),
      generatedAt: str,
      final: { type: 'boolean', description: 'False while the month is not over: an estimate to date' },
      tenantId: str,
      tenants: arr(
        obj(
          {
            tenantId: str,
            tenantName: str,
            lines: arr(ref('BillingLine')),
            totals: arr(ref('BillingTotal')),
          },
          ['tenantId', 'lines', 'totals'],
        ),
      ),
      totals: { ...arr(ref('BillingTotal')), description: 'Grand totals, one per currency' },
      daily: arr(obj({ day: str, requests: int, errors: int, computeSeconds: money('Seconds') })),
    },
    ['month', 'period', 'generatedAt', 'final', 'tenants', 'totals', 'daily'],
  ),
  TenantUsageReport: obj(
    {
      month: str,
      tenantId: str,
      rows: arr(ref('UsageRow')),
      totals: obj({ requests: int, errors: int, computeMs: num, inputBytes: int, outputBytes: int }),
      charges: obj({
        final: {
          type: 'boolean',
          description: 'False while the month is not over: the estimated charge to date',
        },
        lines: arr(ref('BillingLine')),
        totals: arr(ref('BillingTotal')),
      }),
    },
    ['month', 'rows', 'totals', 'charges'],
  ),
  CreateTenant: fromZod(createTenantSchema),
  CreatePlan: fromZod(createPlanSchema),
  UpdatePlan: {
    ...fromZod(updatePlanSchema),
    description:
      'A JSON merge patch (RFC 7396): present fields replace, null removes an optional field, objects merge.',
  },
  SetTenantPlan: fromZod(setTenantPlanSchema),
  CreateKey: fromZod(createKeySchema),
  RotateKey: fromZod(rotateKeySchema),
  CreateUpload: fromZod(createUploadSchema),
  CreateModel: fromZod(createModelSchema),
  CreateVersion: fromZod(createVersionSchema),
  Pipeline: fromZod(pipelineSchema),
  PredictRequest: fromZod(predictRequestSchema),
  Prediction: {
    oneOf: [
      obj({
        model_name: str,
        model_version: str,
        rotated: { type: 'boolean', description: 'The orientation step turned the image 180°' },
        labels: arr(obj({ label: str, score: num })),
      }),
      obj({
        model_name: str,
        model_version: str,
        rotated: { type: 'boolean', description: 'The orientation step turned the image 180°' },
        text: str,
        confidence: { type: 'number', minimum: 0, maximum: 1 },
      }),
    ],
  },
  PutAlias: fromZod(putAliasSchema),
};

interface Operation {
  summary: string;
  scope?: string;
  body?: string;
  response: Schema;
  status?: string;
  query?: { name: string; required: boolean; description: string }[];
  /** What a 409 means for this operation, when it has one. */
  conflict?: string;
  /** What a 400 means for an operation without a body, when it has one. */
  badRequest?: string;
  /** Other media types of the success response (chosen by a query parameter). */
  media?: Record<string, Schema>;
  /** Other media types of the request body. */
  bodyMedia?: Record<string, Schema>;
  /** What 413 and 415 mean for this operation's body, when not the JSON limit and type. */
  bodyErrors?: { tooLarge: string; unsupported: string };
}

const list = (key: string, item: string): Schema => obj({ [key]: arr(ref(item)) });
const monthQuery = {
  name: 'month',
  required: false,
  description: 'UTC month as YYYY-MM (default: the current month)',
};

const OPERATIONS: Record<string, Operation> = {
  'GET /v2': { summary: 'Server metadata', response: obj({ name: str, version: str, extensions: arr(str) }) },
  'GET /v2/health/live': { summary: 'Liveness', response: obj({ live: { type: 'boolean' } }) },
  'GET /v2/health/ready': { summary: 'Readiness', response: obj({ ready: { type: 'boolean' } }) },
  'GET /v2/models/{name}': {
    summary: 'Model metadata (the prod alias)',
    scope: 'models:read',
    response: ref('ModelMetadata'),
  },
  'GET /v2/models/{name}/ready': {
    summary: 'Model readiness',
    scope: 'models:read',
    response: obj({ name: str, version: str, ready: { type: 'boolean' } }),
  },
  'POST /v2/models/{name}/infer': {
    summary: 'Infer with the prod alias',
    scope: 'infer',
    body: 'InferRequest',
    response: ref('InferResponse'),
  },
  'GET /v2/models/{name}/versions/{version}': {
    summary: 'Metadata of a version or alias',
    scope: 'models:read',
    response: ref('ModelMetadata'),
  },
  'GET /v2/models/{name}/versions/{version}/ready': {
    summary: 'Readiness of a version',
    scope: 'models:read',
    response: obj({ name: str, version: str, ready: { type: 'boolean' } }),
  },
  'POST /v2/models/{name}/versions/{version}/infer': {
    summary: 'Infer with a version or alias',
    scope: 'infer',
    body: 'InferRequest',
    response: ref('InferResponse'),
  },
  'POST /v1/models/{name}/predict': predictOperation(
    'Predict with the prod alias: an image in, the task result out',
  ),
  'POST /v1/models/{name}/versions/{version}/predict': predictOperation(
    'Predict with a version or alias: an image in, the task result out',
  ),
  'GET /v1/models': {
    summary: 'Models the caller may use',
    scope: 'models:read',
    response: obj({
      models: arr(
        obj(
          {
            name: str,
            visibility: str,
            description: str,
            aliases: { type: 'object', additionalProperties: str },
          },
          ['name', 'visibility', 'aliases'],
        ),
      ),
    }),
  },
  'GET /v1/usage': {
    summary:
      "The caller's usage in a month, priced by its plans (the estimated charge while the month is not over)",
    scope: 'usage:read',
    response: ref('TenantUsageReport'),
    query: [monthQuery],
  },
  'GET /openapi.json': { summary: 'This document', response: { type: 'object' } },
  'POST /admin/tenants': {
    summary: 'Create a tenant',
    scope: 'admin',
    body: 'CreateTenant',
    response: ref('Tenant'),
    status: '201',
  },
  'GET /admin/tenants': { summary: 'List tenants', scope: 'admin', response: list('tenants', 'Tenant') },
  'GET /admin/tenants/{tenantId}': { summary: 'Get a tenant', scope: 'admin', response: ref('Tenant') },
  'PUT /admin/tenants/{tenantId}/plan': {
    summary: 'Move a tenant to a plan from now on (the change is recorded)',
    scope: 'admin',
    body: 'SetTenantPlan',
    response: ref('Tenant'),
  },
  'GET /admin/tenants/{tenantId}/plan-changes': {
    summary: "A tenant's plans over time, oldest first",
    scope: 'admin',
    response: obj({ tenantId: str, changes: arr(ref('PlanChange')) }),
  },
  'POST /admin/plans': {
    summary: 'Create a plan',
    scope: 'admin',
    body: 'CreatePlan',
    response: ref('Plan'),
    status: '201',
  },
  'GET /admin/plans': { summary: 'List plans', scope: 'admin', response: list('plans', 'Plan') },
  'GET /admin/plans/{planId}': { summary: 'Get a plan', scope: 'admin', response: ref('Plan') },
  'PATCH /admin/plans/{planId}': {
    summary: 'Change a plan (JSON merge patch)',
    scope: 'admin',
    body: 'UpdatePlan',
    response: ref('Plan'),
  },
  'POST /admin/keys': {
    summary: 'Create an API key (shown once)',
    scope: 'admin',
    body: 'CreateKey',
    response: ref('CreatedKey'),
    status: '201',
  },
  'GET /admin/keys': {
    summary: "List a tenant's keys",
    scope: 'admin',
    response: list('keys', 'Key'),
    query: [{ name: 'tenantId', required: true, description: 'The tenant' }],
  },
  'POST /admin/keys/{keyId}/revoke': { summary: 'Revoke a key', scope: 'admin', response: ref('Key') },
  'POST /admin/keys/{keyId}/rotate': {
    summary: 'Replace a key (the new one is shown once); the old one keeps working for the overlap',
    scope: 'admin',
    body: 'RotateKey',
    response: ref('RotatedKey'),
    status: '201',
  },
  'POST /admin/uploads': {
    summary: 'Get a URL to PUT a model file to',
    scope: 'admin',
    body: 'CreateUpload',
    response: ref('UploadTicket'),
    status: '201',
  },
  'POST /admin/models': {
    summary: 'Create a model',
    scope: 'admin',
    body: 'CreateModel',
    response: ref('Model'),
    status: '201',
  },
  'GET /admin/models': { summary: 'List models', scope: 'admin', response: list('models', 'Model') },
  'GET /admin/models/{name}': {
    summary: 'A model with its versions and aliases',
    scope: 'admin',
    response: obj({ model: ref('Model'), versions: arr(ref('ModelVersion')), aliases: arr(ref('Alias')) }),
  },
  'POST /admin/models/{name}/versions': {
    summary: 'Register an uploaded file as a new version',
    scope: 'admin',
    body: 'CreateVersion',
    response: ref('ModelVersion'),
    status: '201',
  },
  'GET /admin/models/{name}/versions': {
    summary: 'List versions',
    scope: 'admin',
    response: list('versions', 'ModelVersion'),
  },
  'PUT /admin/models/{name}/aliases/{alias}': {
    summary:
      'Point an alias at a version, or split it over weighted versions (a canary); 400 invalid_routes for bad weights, 404 version_not_found, 409 alias_changed',
    scope: 'admin',
    body: 'PutAlias',
    response: ref('Alias'),
    conflict: 'alias_changed: the alias is not at expectedRevision, or changed meanwhile',
  },
  'POST /admin/models/{name}/aliases/{alias}/rollback': {
    summary:
      'Restore the target the alias had before its last change; 404 alias_not_found, 409 nothing_to_roll_back or alias_changed',
    scope: 'admin',
    response: ref('Alias'),
    conflict: 'nothing_to_roll_back: the alias has no earlier target; alias_changed: it changed meanwhile',
  },
  'GET /admin/usage': {
    summary: 'Usage of every tenant (or one) in a month',
    scope: 'admin',
    response: ref('UsageReport'),
    query: [monthQuery, { name: 'tenantId', required: false, description: 'Only this tenant' }],
  },
  'GET /admin/reports/usage': {
    summary:
      'The usage report of a month for invoicing: per tenant, model, version and plan, priced by plan (docs/billing.md)',
    scope: 'admin',
    response: ref('BillingReport'),
    media: {
      'text/csv': { type: 'string', description: 'RFC 4180, columns in docs/billing.md' },
      'text/html': { type: 'string', description: 'A self-contained page with a chart of daily requests' },
    },
    query: [
      monthQuery,
      { name: 'tenantId', required: false, description: 'Only this tenant (404 tenant_not_found)' },
      { name: 'format', required: false, description: 'json (default), csv or html' },
    ],
    badRequest: 'invalid_month, invalid_format, or an unknown query parameter (invalid_request)',
  },
};

/** The predict routes: raw image bytes or JSON with base64, answered by the version's pipeline. */
function predictOperation(summary: string): Operation {
  const image = {
    type: 'string',
    contentMediaType: 'application/octet-stream',
    description: 'The image file',
  };
  return {
    summary,
    scope: 'infer',
    body: 'PredictRequest',
    bodyMedia: { 'image/png': image, 'image/jpeg': image, 'image/webp': image },
    bodyErrors: {
      tooLarge: 'Image over 4 MiB (JSON body over 6 MB)',
      unsupported: 'Body is neither image/png, image/jpeg, image/webp nor JSON',
    },
    badRequest:
      'Bad image or request: invalid_image, unsupported_image_type, image_too_large, empty_image, invalid_base64, no_pipeline, invalid_request',
    response: ref('Prediction'),
    query: [{ name: 'top_k', required: false, description: 'Classification: how many labels (1-100)' }],
  };
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});

function operationOf(route: RouteSpec): Schema {
  const key = `${route.method} ${route.path}`;
  const op = OPERATIONS[key];
  if (op === undefined) throw new Error(`No OpenAPI operation for route ${key}`);
  const pathParams = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: str,
  }));
  const queryParams = (op.query ?? []).map((q) => ({
    name: q.name,
    in: 'query',
    required: q.required,
    description: q.description,
    schema: str,
  }));
  const responses: Record<string, unknown> = {
    [op.status ?? '200']: {
      description: 'Success',
      content: {
        'application/json': { schema: op.response },
        ...Object.fromEntries(Object.entries(op.media ?? {}).map(([type, schema]) => [type, { schema }])),
      },
    },
    '500': errorResponse('Internal error (details only in the logs, with the request id)'),
  };
  if (op.body !== undefined) {
    responses['400'] = errorResponse('Malformed or invalid request');
    responses['413'] = errorResponse(op.bodyErrors?.tooLarge ?? 'Body over 6 MB');
    responses['415'] = errorResponse(op.bodyErrors?.unsupported ?? 'Body is not JSON');
  }
  if (op.conflict !== undefined) responses['409'] = errorResponse(op.conflict);
  if (op.badRequest !== undefined) responses['400'] = errorResponse(op.badRequest);
  if (op.scope !== undefined) {
    responses['401'] = errorResponse('Missing, malformed, unknown, expired or revoked key');
    responses['403'] = errorResponse(`Key lacks the "${op.scope}" scope`);
    responses['404'] = errorResponse('Not found (or not visible to the caller)');
    responses['503'] = errorResponse('A dependency is unavailable; retry after Retry-After seconds');
  }
  if (op.scope === 'infer') {
    responses['403'] = errorResponse(
      'Key lacks the "infer" scope, or the tenant\'s plan does not include the version\'s tier or the model',
    );
    responses['429'] = errorResponse(
      "Over the plan's rate limit (`rate_limited`) or monthly quota (`quota_exceeded`); retry after Retry-After seconds. Responses carry x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset",
    );
  }
  return {
    operationId: key.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''),
    summary: op.summary,
    ...(op.scope === undefined ? { security: [] } : { description: `Needs scope \`${op.scope}\`.` }),
    parameters: [...pathParams, ...queryParams],
    ...(op.body === undefined
      ? {}
      : {
          requestBody: {
            required: op.body !== 'CreateUpload' && op.body !== 'RotateKey',
            content: {
              'application/json': { schema: ref(op.body) },
              ...Object.fromEntries(
                Object.entries(op.bodyMedia ?? {}).map(([type, schema]) => [type, { schema }]),
              ),
            },
          },
        }),
    responses,
  };
}

/** Builds the document; `serverUrl` is where the API is reachable. */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operationOf(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Infergate',
      version,
      description:
        'Model inference over the Open Inference Protocol (KServe v2), with tenants, API keys, metering and an admin API. Errors are `{"error", "code"}`.',
    },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key igk_<keyId>_<secret>' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths,
  };
}
