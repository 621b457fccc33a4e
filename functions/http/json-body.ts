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
  const raw = await c.req.arrayBuffer();
  if (raw.byteLength > maxBytes) {
    throw new InfergateError(
      413,
      'payload_too_large',
      `The body is ${raw.byteLength} bytes; the limit is ${maxBytes}`,
    );
  }
  if (raw.byteLength === 0) {
    throw new BadRequestError('invalid_json', 'The request body is empty; expected a JSON object');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch (error) {
    throw new BadRequestError('invalid_json', 'The request body is not valid UTF-8', { cause: error });
  }
  try {
    return { value: JSON.parse(text), bytes: raw.byteLength };
  } catch (error) {
    const detail = error instanceof SyntaxError ? error.message : 'nesting too deep';
    throw new BadRequestError('invalid_json', `The request body is not valid JSON: ${detail}`, {
      cause: error,
    });
  }
}
