import { z } from 'zod';
import { ROUTES, type RouteSpec } from '../routes';
import {
  createKeySchema,
  createModelSchema,
  createTenantSchema,
  createUploadSchema,
  createVersionSchema,
  putAliasSchema,
  rotateKeySchema,
} from '../api/schemas';
import { DATATYPES } from '../core/tensors/datatypes';
import { SCOPES, TIERS } from '../core/registry/types';

/**
 * The OpenAPI 3.1 document of every route in `ROUTES`, served at `/openapi.json`.
 * Request bodies of the admin API come from the same zod schemas that validate them.
 */
type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const fromZod = (schema: z.ZodType): Schema => {
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
  Tenant: obj({ tenantId: str, name: str, plan: str, createdAt: { type: 'string', format: 'date-time' } }),
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
    },
    ['modelName', 'version', 'tier', 'artifact', 'inputs', 'outputs', 'createdAt'],
  ),
  Alias: obj({ modelName: str, alias: str, version: str, updatedAt: str }),
  UsageRow: obj({
    tenantId: str,
    day: str,
    modelName: str,
    version: str,
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
  CreateTenant: fromZod(createTenantSchema),
  CreateKey: fromZod(createKeySchema),
  RotateKey: fromZod(rotateKeySchema),
  CreateUpload: fromZod(createUploadSchema),
  CreateModel: fromZod(createModelSchema),
  CreateVersion: fromZod(createVersionSchema),
  PutAlias: fromZod(putAliasSchema),
};

interface Operation {
  summary: string;
  scope?: string;
  body?: string;
  response: Schema;
  status?: string;
  query?: { name: string; required: boolean; description: string }[];
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
    summary: "The caller's usage in a month",
    scope: 'usage:read',
    response: ref('UsageReport'),
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
    summary: 'Point an alias at a version',
    scope: 'admin',
    body: 'PutAlias',
    response: ref('Alias'),
  },
  'GET /admin/usage': {
    summary: 'Usage of every tenant (or one) in a month',
    scope: 'admin',
    response: ref('UsageReport'),
    query: [monthQuery, { name: 'tenantId', required: false, description: 'Only this tenant' }],
  },
};

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
      content: { 'application/json': { schema: op.response } },
    },
    '500': errorResponse('Internal error (details only in the logs, with the request id)'),
  };
  if (op.body !== undefined) {
    responses['400'] = errorResponse('Malformed or invalid request');
    responses['413'] = errorResponse('Body over 6 MB');
    responses['415'] = errorResponse('Body is not JSON');
  }
  if (op.scope !== undefined) {
    responses['401'] = errorResponse('Missing, malformed, unknown, expired or revoked key');
    responses['403'] = errorResponse(`Key lacks the "${op.scope}" scope`);
    responses['404'] = errorResponse('Not found (or not visible to the caller)');
    responses['503'] = errorResponse('A dependency is unavailable; retry after Retry-After seconds');
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
            content: { 'application/json': { schema: ref(op.body) } },
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
