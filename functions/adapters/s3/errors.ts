import { NotFoundError, UnavailableError } from '../../core/errors';
import { field, isNetworkError, text } from '../sdk-errors';

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

const UNAVAILABLE_STATUS_CODES = new Set([500, 502, 503, 504]);

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
