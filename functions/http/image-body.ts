import type { Context } from 'hono';
import { predictRequestSchema } from '../api/pipeline-schemas';
import { BadRequestError, InfergateError } from '../core/errors';
import { imageError } from '../core/pipelines/errors';
import type { ImagePayload } from '../core/pipelines/prediction-service';
import type { AppEnv } from './app-env';
import { readJsonBody } from './json-body';
import { readQuery } from './query';
import { parseWith } from './validate';

/**
 * The largest image a predict request may carry, as bytes of the file: sent raw, its body
 * reaches Lambda base64-encoded (4 MiB become about 5.3 MB of the 6 MB payload limit).
 */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

/** Content types of a raw image body. */
export const IMAGE_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;
const BASE64_ALPHABET = /^[A-Za-z0-9+/]*$/;
const BASE64_URL_ALPHABET = /^[A-Za-z0-9_-]*$/;
const DATA_URL = /^data:image\/[a-z0-9.+-]+;base64,/i;

/**
 * Reads the body of `POST /v1/models/{name}/predict`: the image's bytes with an image content
 * type, or JSON `{"image": "<base64>", "top_k": n}`; `top_k` may also be a query parameter.
 * 415 for other content types, 413 over {@link MAX_IMAGE_BYTES} (JSON bodies: the JSON limit),
 * 400 `invalid_base64`, `empty_image` or `invalid_request` for a body that carries no image.
 * These refusals come before the model is resolved, so they are not metered.
 */
export async function readImageBody(c: Context<AppEnv>): Promise<ImagePayload> {
  const contentType = c.req.header('content-type') ?? '';
  const query = readQuery(c, ['top_k']);
  const queryTopK = query.top_k === undefined ? undefined : parseTopK(query.top_k);
  if (JSON_TYPE.test(contentType)) {
    const body = await readJsonBody(c);
    const request = parseWith(predictRequestSchema, body.value);
    if (request.top_k !== undefined && queryTopK !== undefined) {
      throw new BadRequestError('invalid_request', 'Give top_k once: in the query or in the body');
    }
    const bytes = decodeBase64(request.image);
    const topK = request.top_k ?? queryTopK;
    return { bytes, requestBytes: body.bytes, ...(topK === undefined ? {} : { topK }) };
  }
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  if (!IMAGE_CONTENT_TYPES.some((type) => type === mediaType)) {
    throw new InfergateError(
      415,
      'unsupported_media_type',
      `Expected an image (${IMAGE_CONTENT_TYPES.join(', ')}) or JSON {"image": "<base64>"}, got "${contentType.slice(0, 100) || 'none'}"`,
    );
  }
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.byteLength > MAX_IMAGE_BYTES) throw tooLarge(raw.byteLength);
  if (raw.byteLength === 0)
    throw imageError('empty_image', 'The body is empty; expected the bytes of an image');
  return {
    bytes: raw,
    requestBytes: raw.byteLength,
    ...(queryTopK === undefined ? {} : { topK: queryTopK }),
  };
}

/** The image file of the JSON form: base64 (standard or URL-safe, line breaks allowed), or a data URL. */
export function decodeBase64(text: string): Uint8Array {
  const encoded = text.replace(DATA_URL, '').replace(/[\r\n\t ]/g, '');
  if (encoded.length === 0)
    throw imageError('empty_image', 'The field "image" is empty; expected a base64-encoded image');
  if (Math.floor((encoded.length * 3) / 4) > MAX_IMAGE_BYTES + 2)
    throw tooLarge(Math.floor((encoded.length * 3) / 4));
  if (!isBase64(encoded)) {
    throw imageError(
      'invalid_base64',
      'The field "image" is not base64: expected the characters A-Z a-z 0-9 + / (or - _) and "=" padding',
    );
  }
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.byteLength > MAX_IMAGE_BYTES) throw tooLarge(bytes.byteLength);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Standard or URL-safe base64, padded or not: a length of 4n+1, or padding anywhere but at the end of a whole group, is not. */
function isBase64(text: string): boolean {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (padding > 0 && text.length % 4 !== 0) return false;
  const body = text.slice(0, text.length - padding);
  if (body.length % 4 === 1) return false;
  return BASE64_ALPHABET.test(body) || BASE64_URL_ALPHABET.test(body);
}

function parseTopK(value: string): number {
  const topK = /^[1-9][0-9]{0,2}$/.test(value) ? Number(value) : NaN;
  if (!(topK >= 1 && topK <= 100)) {
    throw new BadRequestError(
      'invalid_request',
      `Query parameter "top_k" must be an integer from 1 to 100, got "${value.slice(0, 20)}"`,
    );
  }
  return topK;
}

function tooLarge(bytes: number): InfergateError {
  return new InfergateError(
    413,
    'payload_too_large',
    `The image is ${bytes} bytes; the limit is ${MAX_IMAGE_BYTES}`,
  );
}
