import type { Context } from 'hono';
import { BadRequestError, InfergateError } from '../core/errors';
import { MAX_BODY_BYTES } from '../constants';
import type { AppEnv } from './app-env';

/** A parsed JSON request body and its size on the wire. */
export interface JsonBody {
  readonly value: unknown;
  readonly bytes: number;
}

/**
 * Reads a JSON request body: 415 unless the content type is JSON, 413 over the size
 * limit, 400 for malformed JSON.
 */
export async function readJsonBody(c: Context<AppEnv>, maxBytes: number = MAX_BODY_BYTES): Promise<JsonBody> {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(contentType)) {
    throw new InfergateError(
      415,
      'unsupported_media_type',
      `Expected a JSON body with "content-type: application/json", got "${contentType.slice(0, 100) || 'none'}"`,
    );
  }
  const { text, bytes } = eventText(c) ?? (await requestText(c, maxBytes));
  if (bytes > maxBytes) {
    throw new InfergateError(
      413,
      'payload_too_large',
      `The body is ${bytes} bytes; the limit is ${maxBytes}`,
    );
  }
  if (bytes === 0) {
    throw new BadRequestError('invalid_json', 'The request body is empty; expected a JSON object');
  }
  try {
    return { value: JSON.parse(text), bytes };
  } catch (error) {
    const detail = error instanceof SyntaxError ? error.message : 'nesting too deep';
    throw new BadRequestError('invalid_json', `The request body is not valid JSON: ${detail}`, {
      cause: error,
    });
  }
}

/**
 * The body as the Lambda event carries it, when that is text: the same characters the
 * `Request` was built from, without their round trip through it (UTF-8 encoding, a stream,
 * decoding: about 1 ms for a 500 KB tensor). Its size is counted in UTF-8, as on the wire.
 */
function eventText(c: Context<AppEnv>): { text: string; bytes: number } | undefined {
  const event = c.env?.event;
  // The adapter gives GET and HEAD requests no body, whatever the event holds.
  if (event === undefined || event.isBase64Encoded || c.req.method === 'GET' || c.req.method === 'HEAD') {
    return undefined;
  }
  const text = event.body ?? '';
  return { text, bytes: Buffer.byteLength(text, 'utf8') };
}

/**
 * The body of the `Request` itself (outside Lambda, or base64 in the event); decoded only
 * when its size is allowed, so that an oversized body is a 413 whatever its bytes.
 */
async function requestText(c: Context<AppEnv>, maxBytes: number): Promise<{ text: string; bytes: number }> {
  const raw = await c.req.arrayBuffer();
  if (raw.byteLength > maxBytes || raw.byteLength === 0) return { text: '', bytes: raw.byteLength };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(raw), bytes: raw.byteLength };
  } catch (error) {
    throw new BadRequestError('invalid_json', 'The request body is not valid UTF-8', { cause: error });
  }
}
