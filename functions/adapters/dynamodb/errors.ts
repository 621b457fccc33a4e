import { ConflictError, UnavailableError } from '../../core/errors';
import { field, isNetworkError, text } from '../sdk-errors';

export { isNetworkError };

/**
 * Translation of DynamoDB SDK errors into the platform's errors. Errors are matched by
 * name and code, not `instanceof`, so that they are recognised whichever copy of the SDK
 * (or which client, document or low-level) threw them.
 */

/** Service errors that say "not now": the store is throttled or unwell. */
const UNAVAILABLE_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  // The SDK's own names for connect, socket and request timeouts.
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** HTTP statuses of a gateway or server in trouble (a plain 500 comes as `InternalServerError`). */
const UNAVAILABLE_STATUS_CODES = new Set([502, 503, 504]);

/** True for a failed `ConditionExpression`. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return text(error, 'name') === 'ConditionalCheckFailedException';
}

/** True when retrying later could succeed: throttling, a service fault, a timeout or the network. */
export function isStoreUnavailable(error: unknown): boolean {
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  return (
    UNAVAILABLE_ERROR_NAMES.has(text(error, 'name')) ||
    (typeof status === 'number' && UNAVAILABLE_STATUS_CODES.has(status)) ||
    isNetworkError(error)
  );
}

/** What a failed condition means for the write at hand. */
export interface ConflictDescription {
  /** Stable error code, e.g. `tenant_exists`. */
  readonly code: string;
  readonly message: string;
}

/**
 * The error to throw for an SDK error: a failed condition becomes `ConflictError` (409,
 * with the given code), an unavailable store becomes `UnavailableError` `store_unavailable`
 * (503, so authentication fails closed), and anything else is returned unchanged.
 *
 * @example
 * try {
 *   await documentClient.send(put);
 * } catch (error) {
 *   throw translateDynamoError(error, { code: 'tenant_exists', message: `tenant "${id}" exists already` });
 * }
 */
export function translateDynamoError(error: unknown, conflict?: ConflictDescription): unknown {
  if (isConditionalCheckFailed(error)) {
    return new ConflictError(
      conflict?.code ?? 'condition_failed',
      conflict?.message ?? 'the item changed concurrently',
      { cause: error },
    );
  }
  if (isStoreUnavailable(error)) {
    return new UnavailableError('store_unavailable', 'the data store is unavailable, retry later', {
      cause: error,
    });
  }
  return error;
}

/**
 * Runs one store operation and throws its SDK errors translated by {@link translateDynamoError}.
 *
 * @example
 * await withDynamoErrors(() => documentClient.send(put), { code: 'model_exists', message: 'model "m" exists already' });
 */
export async function withDynamoErrors<T>(
  operation: () => Promise<T>,
  conflict?: ConflictDescription,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw translateDynamoError(error, conflict);
  }
}
