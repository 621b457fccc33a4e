/**
 * What the AWS adapters share when reading SDK errors. Errors are matched by name, code
 * and fields, not `instanceof`, so that they are recognised whichever copy of the SDK
 * threw them.
 */

/** Node.js socket errors: the service cannot be reached. */
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

const NETWORK_MESSAGE = new RegExp(`\\b(${[...NETWORK_ERROR_CODES].join('|')})\\b|socket hang up`, 'i');

/** A field of an unknown value, if it is an object that has it. */
export function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && name in value
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** A string field of an unknown value, or ''. */
export function text(value: unknown, name: string): string {
  const found = field(value, name);
  return typeof found === 'string' ? found : '';
}

/**
 * True when the error, its cause, or one of an `AggregateError`'s errors is a socket failure.
 * Duck-typed rather than `instanceof Error`: Node's socket errors come from another realm in
 * some hosts (jest), and the SDK then wraps them, keeping only the message.
 */
export function isNetworkError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  if (NETWORK_ERROR_CODES.has(text(error, 'code')) || NETWORK_MESSAGE.test(text(error, 'message')))
    return true;
  const nested = field(error, 'errors');
  return [field(error, 'cause'), ...(Array.isArray(nested) ? nested : [])].some((inner: unknown) =>
    isNetworkError(inner, depth + 1),
  );
}
