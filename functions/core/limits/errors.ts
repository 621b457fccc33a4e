import { InfergateError } from '../errors';

/** Why a request was refused with 429. */
export type LimitCode = 'rate_limited' | 'quota_exceeded';

/**
 * 429: the tenant's plan does not admit this request now. Carries `Retry-After` and the
 * `x-ratelimit-*` (and `x-quota-*`) headers of the tenant's standing.
 */
export class TooManyRequestsError extends InfergateError {
  public constructor(
    code: LimitCode,
    message: string,
    headers: Record<string, string>,
    options?: ErrorOptions,
  ) {
    super(429, code, message, { ...options, headers });
    this.name = 'TooManyRequestsError';
  }
}
