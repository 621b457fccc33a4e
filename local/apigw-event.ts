import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { pooledRandomBytes } from './random-ids';
import type { RouteMatch } from './route-matcher';

/**
 * Builds the Lambda event that API Gateway HTTP APIs send with payload format 2.0.
 * Where AWS documents nothing, the behaviour follows published captures of real events:
 *
 * - `rawPath` (and `requestContext.http.path`) is the *decoded* path: AWS decodes it
 *   once, cuts it at a decoded `?`, and decodes it a second time; a path that cannot
 *   be decoded is refused with 400. So `/a%20b` arrives as `/a b` and `%2F` splits
 *   segments. `rawQueryString` stays as sent.
 * - `queryStringParameters` are decoded like form fields (`+` is a space); repeated
 *   keys are joined with commas. Absent when there is no query string.
 * - header names are lower-cased and repeated headers joined with `,`; the `cookie`
 *   header moves to `cookies` (split on `;`); `x-forwarded-*` and `x-amzn-trace-id`
 *   are added.
 * - the body is text only for `text/*`, `application/json`, `application/xml` and
 *   `application/javascript`; anything else (also no content type) is base64.
 */

/** The path and query of a request as the Lambda event carries them. */
export interface RequestTarget {
  /** The decoded path (see the module comment). */
  readonly rawPath: string;
  /** The query string as sent, without `?`; empty when there is none. */
  readonly rawQueryString: string;
}

/** What the server knows about a request, with the body read and the route chosen. */
export interface HttpApiRequest {
  readonly method: string;
  readonly target: RequestTarget;
  /** Node's `IncomingMessage.rawHeaders`: names and values, alternating, as sent. */
  readonly rawHeaders: readonly string[];
  /** `1.1`, `1.0`, ... */
  readonly httpVersion: string;
  readonly sourceIp: string;
  /** The port the server listens on, for `x-forwarded-port`. */
  readonly serverPort: number;
  /** Undefined when the request has no body (or an empty one). */
  readonly body: Buffer | undefined;
  readonly route: RouteMatch<unknown>;
  readonly requestId: string;
  /** Epoch milliseconds when the request arrived. */
  readonly receivedAt: number;
  readonly apiId: string;
  readonly accountId: string;
}

/** Headers the edge consumes rather than forwards to the integration. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

const TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Splits a request target (`req.url`) into the event's `rawPath` and `rawQueryString`,
 * decoding the path as API Gateway does. Undefined when API Gateway would answer 400.
 *
 * @example
 * parseRequestTarget('/v2/models/my%20model?a=1'); // { rawPath: '/v2/models/my model', rawQueryString: 'a=1' }
 */
export function parseRequestTarget(target: string): RequestTarget | undefined {
  let wire = target;
  if (!wire.startsWith('/')) {
    // Absolute form (`GET http://host/path`), which proxies send.
    if (!/^https?:\/\//i.test(wire)) return undefined;
    const schemeEnd = wire.indexOf('//') + 2;
    const pathStart = wire.indexOf('/', schemeEnd);
    wire = pathStart === -1 ? '/' : wire.slice(pathStart);
  }
  const queryStart = wire.indexOf('?');
  const wirePath = queryStart === -1 ? wire : wire.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : wire.slice(queryStart + 1);
  const once = decode(wirePath);
  if (once === undefined) return undefined;
  const cut = once.indexOf('?');
  const twice = decode(cut === -1 ? once : once.slice(0, cut));
  if (twice === undefined) return undefined;
  return { rawPath: twice, rawQueryString };
}

function decode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether API Gateway passes a body of this content type to Lambda as text (otherwise
 * it is base64). Parameters such as `charset` do not matter.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return mediaType.startsWith('text/') || TEXT_TYPES.has(mediaType);
}

/**
 * The query string parameters of the event: decoded, repeated keys joined with commas,
 * undefined when there are none.
 */
export function parseQueryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  let parameters: Record<string, string> | undefined;
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    // A `__proto__` key would set the object's prototype rather than a field.
    if (key === '__proto__') continue;
    parameters ??= {};
    const previous = parameters[key];
    parameters[key] = previous === undefined ? value : `${previous},${value}`;
  }
  return parameters;
}

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
export function formatRequestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()] ?? ''}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

/** A request id in API Gateway's format (16 characters of base64, like `ATfSmjLgPHcESJw=`). */
export function newApiGatewayRequestId(): string {
  return pooledRandomBytes(11).toString('base64');
}

/**
 * The payload 2.0 event for a request. The body buffer is encoded once (utf-8 text or
 * base64); headers are read in one pass over `rawHeaders`.
 */
export function buildHttpApiEvent(request: HttpApiRequest): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  const { rawHeaders } = request;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      for (const cookie of value.split(';')) {
        const trimmed = cookie.trim();
        if (trimmed !== '') (cookies ??= []).push(trimmed);
      }
      continue;
    }
    if (HOP_BY_HOP.has(name) || name === '__proto__') continue;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  const forwardedFor = headers['x-forwarded-for'];
  headers['x-forwarded-for'] =
    forwardedFor === undefined ? request.sourceIp : `${forwardedFor}, ${request.sourceIp}`;
  headers['x-forwarded-port'] = String(request.serverPort);
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] ??= newTraceId(request.receivedAt);

  const host = headers.host ?? 'localhost';
  const domainName = stripPort(host);
  const { rawPath, rawQueryString } = request.target;
  const { route, body } = request;

  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: request.accountId,
      apiId: request.apiId,
      domainName,
      domainPrefix: domainName.split('.', 1)[0] ?? domainName,
      http: {
        method: request.method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: formatRequestTime(request.receivedAt),
      timeEpoch: request.receivedAt,
    },
    isBase64Encoded: false,
  };
  if (cookies !== undefined) event.cookies = cookies;
  const queryStringParameters = parseQueryParameters(rawQueryString);
  if (queryStringParameters !== undefined) event.queryStringParameters = queryStringParameters;
  if (route.pathParameters !== undefined) event.pathParameters = { ...route.pathParameters };
  if (body !== undefined && body.length > 0) {
    if (isTextContentType(headers['content-type'])) {
      event.body = body.toString('utf8');
    } else {
      event.body = body.toString('base64');
      event.isBase64Encoded = true;
    }
  }
  return event;
}

/** The size of a body once in the event: base64 grows it by a third. */
export function encodedBodyLength(bodyLength: number, contentType: string | undefined): number {
  return isTextContentType(contentType) ? bodyLength : 4 * Math.ceil(bodyLength / 3);
}

function newTraceId(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${seconds}-${pooledRandomBytes(12).toString('hex')}`;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
