import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Hono } from 'hono';
import type { ErrorBody } from '../api/views';
import type { AppEnv } from './app-env';

/** A Lambda handler for API Gateway HTTP API (payload 2.0) events. */
export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const TEXTUAL = /^(text\/|application\/(json|[a-z0-9.+-]*\+json|xml|javascript)|$)/i;

/**
 * The edge between API Gateway and an app (Hono's habit: the core speaks only
 * `Request`/`Response`). Accepts an app still being built, so the init phase starts the
 * cold-start work and the first invocation waits for it.
 *
 * @example
 * export const handler = toLambdaHandler(createInferenceDeps(config).then(createInferenceApp));
 */
export function toLambdaHandler(app: Hono<AppEnv> | Promise<Hono<AppEnv>>): HttpApiHandler {
  const ready = Promise.resolve(app);
  return async (event, context) => {
    const built = await ready;
    let request: Request;
    try {
      request = toRequest(event);
    } catch {
      const body: ErrorBody = { error: 'The request URL or headers are malformed', code: 'invalid_request' };
      return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    }
    return toResult(await built.fetch(request, { event, lambdaContext: context }));
  };
}

function toRequest(event: APIGatewayProxyEventV2): Request {
  const host = event.headers.host ?? event.requestContext.domainName;
  const query = event.rawQueryString === '' ? '' : `?${event.rawQueryString}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers)) {
    if (value !== undefined) headers.set(name, value);
  }
  if (event.cookies !== undefined && event.cookies.length > 0)
    headers.set('cookie', event.cookies.join('; '));
  const method = event.requestContext.http.method;
  const hasBody = event.body !== undefined && method !== 'GET' && method !== 'HEAD';
  return new Request(`https://${host}${event.rawPath}${query}`, {
    method,
    headers,
    body: hasBody
      ? event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64')
        : event.body
      : undefined,
  });
}

async function toResult(response: Response): Promise<APIGatewayProxyStructuredResultV2> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') cookies.push(value);
    else headers[name] = value;
  });
  const textual = TEXTUAL.test(response.headers.get('content-type') ?? '');
  const body = textual ? await response.text() : Buffer.from(await response.arrayBuffer()).toString('base64');
  return {
    statusCode: response.status,
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    body,
    isBase64Encoded: !textual,
  };
}
