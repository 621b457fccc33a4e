import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Hono } from 'hono';
import type { ErrorBody } from '../api/views';
import type { AppEnv } from './app-env';
import { noRouteError } from './not-found';

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
    const refusal = refuseBeforeRouting(event);
    if (refusal !== undefined) return refusal;
    let request: Request;
    try {
      request = toRequest(event);
    } catch {
      return errorResult(event, 400, {
        error: 'The request URL or headers are malformed',
        code: 'invalid_request',
      });
    }
    return toResult(await built.fetch(request, { event, lambdaContext: context }));
  };
}

/** Methods a `Request` cannot carry (the Fetch standard forbids them). */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * Requests answered without the app: methods `Request` refuses get the app's 405/404, and
 * paths with `.` or `..` segments get 404. API Gateway routes on the path as sent, so it
 * sends those to `$default`; resolving the dot segments here (as a URL would) could reach
 * a route the gateway did not choose.
 */
function refuseBeforeRouting(event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 | undefined {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
    return errorResult(event, 404, {
      error: `No route for ${method.slice(0, 20)} ${path.slice(0, 200)}`,
      code: 'route_not_found',
    });
  }
  if (FORBIDDEN_METHODS.has(method.toUpperCase())) {
    const error = noRouteError(method, path);
    return errorResult(event, error.status, { error: error.message, code: error.code }, error.headers);
  }
  return undefined;
}

function errorResult(
  event: APIGatewayProxyEventV2,
  statusCode: number,
  error: Omit<ErrorBody, 'requestId'>,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  const requestId = event.requestContext.requestId;
  const body: ErrorBody = { ...error, requestId };
  return {
    statusCode,
    headers: { ...headers, 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify(body),
  };
}

/** Host names as API Gateway sets them; anything else is not used to build the URL. */
const HOST_PATTERN = /^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/;

/**
 * The `Request` the app sees. The path is the event's (decoded) `rawPath` with every
 * segment percent-encoded again, so that no character of a segment (`#`, `?`, `%`, `\`,
 * control characters) can change what the URL parser makes of the path: the app routes
 * exactly the path API Gateway routed. Params come back decoded from Hono.
 */
function toRequest(event: APIGatewayProxyEventV2): Request {
  const declaredHost = event.headers.host ?? event.requestContext.domainName;
  const host = HOST_PATTERN.test(declaredHost) ? declaredHost : 'localhost';
  const path = event.rawPath.split('/').map(encodeURIComponent).join('/');
  const query = event.rawQueryString === '' ? '' : `?${event.rawQueryString}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers)) {
    if (value !== undefined) headers.set(name, value);
  }
  if (event.cookies !== undefined && event.cookies.length > 0)
    headers.set('cookie', event.cookies.join('; '));
  const method = event.requestContext.http.method;
  const hasBody = event.body !== undefined && method !== 'GET' && method !== 'HEAD';
  return new Request(`https://${host}${path}${query}`, {
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
