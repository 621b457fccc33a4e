/**
 * Turns what a Lambda handler returned into the HTTP response API Gateway HTTP APIs
 * (payload format 2.0) would send, or says why API Gateway would answer 500 instead.
 *
 * - An object with a `statusCode` is a structured response: `headers` (values may be
 *   numbers or booleans; `content-type` defaults to `application/json`), `cookies` (one
 *   `set-cookie` each, before any `set-cookie` header), `body` (a string, base64-decoded
 *   when `isBase64Encoded`).
 *   `multiValueHeaders` belongs to payload 1.0 and is ignored, as in AWS.
 * - Anything else that is JSON is inferred: status 200, `content-type:
 *   application/json`, the string itself or the JSON text as the body.
 * - `undefined`/`null`, a bad status, a non-string body or header value, or a body over
 *   Lambda's response payload limit is a failed invocation: 500.
 */

/** A response ready to write: header names are lower case. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer | string;
}

export type ResponseConversion =
  { readonly ok: true; readonly response: HttpResponse } | { readonly ok: false; readonly reason: string };

/** RFC 9110 token characters, as Node checks header names. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Characters Node refuses in header values. */
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** Framing is the server's business: these handler headers are dropped. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * @param result - whatever the handler's promise resolved to
 * @param maxBytes - Lambda's response payload limit, checked against the body as returned
 *
 * @example
 * toHttpResponse({ statusCode: 201, body: '{}' }, 6 * 1024 * 1024);
 * // { ok: true, response: { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{}' } }
 */
export function toHttpResponse(result: unknown, maxBytes: number): ResponseConversion {
  if (result === undefined || result === null)
    return fail(`the handler returned ${String(result)}; expected a response object`);
  if (typeof result === 'object' && !Array.isArray(result) && 'statusCode' in result) {
    return structured(result, maxBytes);
  }
  let body: string | undefined;
  try {
    body = typeof result === 'string' ? result : JSON.stringify(result);
  } catch (error) {
    return fail(`the handler returned a value that is not JSON: ${String(error)}`);
  }
  if (body === undefined) return fail(`the handler returned a ${typeof result}; expected a response object`);
  if (Buffer.byteLength(body) > maxBytes) return tooLarge(maxBytes);
  return { ok: true, response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body } };
}

function structured(result: object, maxBytes: number): ResponseConversion {
  const statusCode: unknown = Reflect.get(result, 'statusCode');
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    return fail(`statusCode must be an integer from 100 to 599, got ${describe(statusCode)}`);

  const body: unknown = Reflect.get(result, 'body');
  if (body !== undefined && typeof body !== 'string')
    return fail(`body must be a string, got ${describe(body)}`);
  const isBase64Encoded: unknown = Reflect.get(result, 'isBase64Encoded');
  if (isBase64Encoded !== undefined && typeof isBase64Encoded !== 'boolean')
    return fail(`isBase64Encoded must be a boolean, got ${describe(isBase64Encoded)}`);
  const text = body ?? '';
  if (Buffer.byteLength(text) > maxBytes) return tooLarge(maxBytes);

  const headers: Record<string, string | string[]> = {};
  const cookies: unknown = Reflect.get(result, 'cookies');
  if (cookies !== undefined) {
    if (!Array.isArray(cookies) || !cookies.every((cookie) => typeof cookie === 'string'))
      return fail('cookies must be an array of strings');
    const bad = cookies.find((cookie) => BAD_HEADER_VALUE.test(cookie));
    if (bad !== undefined)
      return fail(`cookie ${JSON.stringify(bad)} has characters not allowed in a header`);
    if (cookies.length > 0) headers['set-cookie'] = [...cookies];
  }
  const given: unknown = Reflect.get(result, 'headers');
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object' || Array.isArray(given)) return fail('headers must be an object');
    for (const [name, raw] of Object.entries(given)) {
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean')
        return fail(
          `header ${JSON.stringify(name)} must be a string, number or boolean, got ${describe(raw)}`,
        );
      if (!HEADER_NAME.test(name)) return fail(`${JSON.stringify(name)} is not a valid header name`);
      const value = String(raw);
      if (BAD_HEADER_VALUE.test(value))
        return fail(`header ${JSON.stringify(name)} has characters not allowed in a header value`);
      const lower = name.toLowerCase();
      if (FRAMING.has(lower)) continue;
      const previous = headers[lower];
      headers[lower] = lower === 'set-cookie' && Array.isArray(previous) ? [...previous, value] : value;
    }
  }
  headers['content-type'] ??= 'application/json';
  return {
    ok: true,
    response: { statusCode, headers, body: isBase64Encoded === true ? Buffer.from(text, 'base64') : text },
  };
}

function fail(reason: string): ResponseConversion {
  return { ok: false, reason };
}

function tooLarge(maxBytes: number): ResponseConversion {
  return fail(`the response body exceeds Lambda's response payload limit of ${maxBytes} bytes`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 50));
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}
