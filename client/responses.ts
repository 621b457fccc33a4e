import { InfergateApiError, InfergateClientError, InfergateNetworkError } from './errors';

/**
 * Turning HTTP answers and transport failures into the client's errors, shared by the
 * `fetch` path (API calls) and the `node:http` path (artifact uploads).
 */

/** Headers that carry a request id, in order of preference. */
const REQUEST_ID_HEADERS = ['x-request-id', 'x-amzn-requestid', 'apigw-requestid', 'x-amz-request-id'];

/** A URL without its query string, so that presigned signatures never reach logs. */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function xmlField(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The error of a non-2xx answer. Understands the platform's `{"error", "code"}` body, API
 * Gateway's `{"message"}` body and S3's XML error document; anything else keeps its status.
 */
export function apiErrorFromResponse(
  status: number,
  bodyText: string,
  header: (name: string) => string | null | undefined,
): InfergateApiError {
  const headerRequestId = REQUEST_ID_HEADERS.map((name) => header(name) ?? undefined).find(
    (value) => value !== undefined && value.length > 0,
  );
  const body = parseJson(bodyText);
  if (isRecord(body)) {
    const message = stringField(body, 'error') ?? stringField(body, 'message');
    if (message !== undefined) {
      const code = stringField(body, 'code') ?? `http_${status}`;
      const requestId = stringField(body, 'requestId') ?? headerRequestId;
      return new InfergateApiError(status, code, message, { requestId });
    }
  }
  const xmlCode = xmlField(bodyText, 'Code');
  if (xmlCode !== undefined) {
    const message = xmlField(bodyText, 'Message') ?? xmlCode;
    const requestId = xmlField(bodyText, 'RequestId') ?? headerRequestId;
    return new InfergateApiError(status, xmlCode, message, { requestId });
  }
  return new InfergateApiError(status, `http_${status}`, `the server answered HTTP ${status}`, {
    requestId: headerRequestId,
  });
}

/** The body of a 2xx answer, which must be JSON. */
export function parseJsonBody(url: URL, status: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InfergateClientError(
      'invalid_response',
      `${displayUrl(url)} answered HTTP ${status} with a body that is not JSON`,
      { cause },
    );
  }
}

/** Reads `name` of an error-like value; errors from another realm (DOMException, undici) included. */
function errorField(value: unknown, name: 'name' | 'message' | 'code' | 'cause'): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, name) : undefined;
}

/** The innermost `cause` message of a transport failure (`fetch failed` says nothing). */
function rootCauseMessage(error: unknown): string {
  let message = String(error);
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const text = errorField(current, 'message');
    const code = errorField(current, 'code');
    if (typeof text === 'string' && text !== '') message = text;
    else if (typeof code === 'string') message = code;
    current = errorField(current, 'cause');
  }
  return message;
}

function isTimeout(error: unknown): boolean {
  const name = errorField(error, 'name');
  return name === 'TimeoutError' || name === 'AbortError';
}

/** A transport failure (no HTTP answer) as an error that names the URL. */
export function networkError(url: URL, error: unknown, timeoutMs: number): InfergateNetworkError {
  const where = displayUrl(url);
  if (isTimeout(error)) {
    return new InfergateNetworkError('timeout', where, `no answer from ${where} within ${timeoutMs} ms`, {
      cause: error,
    });
  }
  return new InfergateNetworkError(
    'network_error',
    where,
    `cannot reach ${where}: ${rootCauseMessage(error)}`,
    {
      cause: error,
    },
  );
}
