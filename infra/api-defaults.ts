import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';

/**
 * Default route throttling of the HTTP API stage, per account and region. Tenants are
 * metered inside the functions; this bound protects the account's Lambda concurrency.
 */
export const DEFAULT_THROTTLE: Required<ThrottleSettings> = { rateLimit: 500, burstLimit: 1000 };

/**
 * The access log record: one JSON object per request. HTTP APIs without an authorizer
 * cannot put the key id or tenant id into `$context`, so the record carries the ids that
 * join it to the function's own log lines instead: `requestId` (the function logs it as the
 * API request id, with `keyId` and `tenantId` once the key is authenticated) and
 * `integrationRequestId` (the Lambda request id, `function_request_id` in Powertools logs).
 */
export function accessLogFields(): Readonly<Record<string, string>> {
  return {
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    method: '$context.httpMethod',
    path: '$context.path',
    routeKey: '$context.routeKey',
    protocol: '$context.protocol',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationStatus: '$context.integration.status',
    integrationRequestId: '$context.integration.requestId',
    integrationError: '$context.integration.error',
    integrationErrorMessage: '$context.integrationErrorMessage',
    errorMessage: '$context.error.message',
  };
}

/** The access log format string API Gateway expects: the fields as single-line JSON. */
export function accessLogFormat(): string {
  return JSON.stringify(accessLogFields());
}
