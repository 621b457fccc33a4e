import { NotFoundError, UnavailableError } from '../../core/errors';

/**
 * Translation of S3 SDK errors into the platform's errors, matched by name and code so
 * that any copy of the SDK is recognised.
 */

/** Service errors that say "not now". */
const UNAVAILABLE_ERROR_NAMES = new Set([
  'SlowDown',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Node.js socket errors: the store cannot be reached. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const UNAVAILABLE_STATUS_CODES = new Set([500, 502, 503, 504]);

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && name in value
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

function text(value: unknown, name: string): string {
  const found = field(value, name);
  return typeof found === 'string' ? found : '';
}

const NETWORK_MESSAGE = new RegExp(`\\b(${[...NETWORK_ERROR_CODES].join('|')})\\b|socket hang up`, 'i');

/**
 * True when the error, its cause, or one of an `AggregateError`'s errors is a socket failure.
 * Duck-typed rather than `instanceof Error`: Node's socket errors come from another realm in
 * some hosts (jest), and the SDK then wraps them, keeping only the message.
 */
function isNetworkError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  if (NETWORK_ERROR_CODES.has(text(error, 'code')) || NETWORK_MESSAGE.test(text(error, 'message')))
    return true;
  const nested = field(error, 'errors');
  return [field(error, 'cause'), ...(Array.isArray(nested) ? nested : [])].some((inner: unknown) =>
    isNetworkError(inner, depth + 1),
  );
}

/** True when S3 says the object does not exist (`NoSuchKey`, or a bodiless 404 from HEAD). */
export function isMissingObject(error: unknown): boolean {
  const name = text(error, 'name');
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** True when retrying later could succeed: throttling, a service fault, a timeout or the network. */
export function isArtifactStoreUnavailable(error: unknown): boolean {
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  return (
    UNAVAILABLE_ERROR_NAMES.has(text(error, 'name')) ||
    (typeof status === 'number' && UNAVAILABLE_STATUS_CODES.has(status)) ||
    isNetworkError(error)
  );
}

/**
 * The error to throw for an S3 SDK error on object `key`: a missing object becomes
 * `NotFoundError` `artifact_not_found`, an unavailable store `UnavailableError`
 * `artifact_store_unavailable`, anything else is returned unchanged (a 500: for example
 * `AccessDenied` is a deployment bug, not something a caller can fix).
 *
 * @example
 * try {
 *   return await client.send(new GetObjectCommand({ Bucket, Key }));
 * } catch (error) {
 *   throw translateS3Error(error, Key);
 * }
 */
export function translateS3Error(error: unknown, key: string): unknown {
  if (isMissingObject(error)) {
    return new NotFoundError('artifact_not_found', `artifact "${key}" does not exist`, { cause: error });
  }
  if (isArtifactStoreUnavailable(error)) {
    return new UnavailableError(
      'artifact_store_unavailable',
      'the artifact store is unavailable, retry later',
      {
        cause: error,
      },
    );
  }
  return error;
}
