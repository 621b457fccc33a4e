/**
 * Every HTTP route of the platform and the function that serves it. The CDK app creates
 * one API Gateway route per entry; the local server dispatches with the same table, so
 * what runs locally is what deploys.
 */
export type FunctionName = 'inference' | 'admin';

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway route path, with `{param}` placeholders. */
  readonly path: string;
  readonly fn: FunctionName;
}

export const ROUTES: readonly RouteSpec[] = [
  // Data plane: Open Inference Protocol (KServe v2).
  { method: 'GET', path: '/v2', fn: 'inference' },
  { method: 'GET', path: '/v2/health/live', fn: 'inference' },
  { method: 'GET', path: '/v2/health/ready', fn: 'inference' },
  { method: 'GET', path: '/v2/models/{name}', fn: 'inference' },
  { method: 'GET', path: '/v2/models/{name}/ready', fn: 'inference' },
  { method: 'POST', path: '/v2/models/{name}/infer', fn: 'inference' },
  { method: 'GET', path: '/v2/models/{name}/versions/{version}', fn: 'inference' },
  { method: 'GET', path: '/v2/models/{name}/versions/{version}/ready', fn: 'inference' },
  { method: 'POST', path: '/v2/models/{name}/versions/{version}/infer', fn: 'inference' },
  // Tenant API.
  { method: 'GET', path: '/v1/models', fn: 'inference' },
  { method: 'GET', path: '/v1/usage', fn: 'inference' },
  { method: 'POST', path: '/v1/models/{name}/predict', fn: 'inference' },
  { method: 'POST', path: '/v1/models/{name}/versions/{version}/predict', fn: 'inference' },
  // Control plane.
  { method: 'GET', path: '/openapi.json', fn: 'admin' },
  { method: 'POST', path: '/admin/tenants', fn: 'admin' },
  { method: 'GET', path: '/admin/tenants', fn: 'admin' },
  { method: 'GET', path: '/admin/tenants/{tenantId}', fn: 'admin' },
  { method: 'PUT', path: '/admin/tenants/{tenantId}/plan', fn: 'admin' },
  { method: 'GET', path: '/admin/tenants/{tenantId}/plan-changes', fn: 'admin' },
  { method: 'POST', path: '/admin/plans', fn: 'admin' },
  { method: 'GET', path: '/admin/plans', fn: 'admin' },
  { method: 'GET', path: '/admin/plans/{planId}', fn: 'admin' },
  { method: 'PATCH', path: '/admin/plans/{planId}', fn: 'admin' },
  { method: 'POST', path: '/admin/keys', fn: 'admin' },
  { method: 'GET', path: '/admin/keys', fn: 'admin' },
  { method: 'POST', path: '/admin/keys/{keyId}/revoke', fn: 'admin' },
  { method: 'POST', path: '/admin/keys/{keyId}/rotate', fn: 'admin' },
  { method: 'POST', path: '/admin/uploads', fn: 'admin' },
  { method: 'POST', path: '/admin/models', fn: 'admin' },
  { method: 'GET', path: '/admin/models', fn: 'admin' },
  { method: 'GET', path: '/admin/models/{name}', fn: 'admin' },
  { method: 'POST', path: '/admin/models/{name}/versions', fn: 'admin' },
  { method: 'GET', path: '/admin/models/{name}/versions', fn: 'admin' },
  { method: 'PUT', path: '/admin/models/{name}/aliases/{alias}', fn: 'admin' },
  { method: 'POST', path: '/admin/models/{name}/aliases/{alias}/rollback', fn: 'admin' },
  { method: 'GET', path: '/admin/usage', fn: 'admin' },
  { method: 'GET', path: '/admin/reports/usage', fn: 'admin' },
];
