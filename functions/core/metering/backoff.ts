/** Exponential backoff with full jitter, in milliseconds. */
export interface BackoffPolicy {
  /** The cap of the first pause. */
  readonly baseDelayMs: number;
  /** No pause is longer than this. */
  readonly maxDelayMs: number;
}

/**
 * The pause before retry number `attempt` (0 for the first retry): a uniformly random
 * duration from 0 to `min(maxDelayMs, baseDelayMs * 2^attempt)` ("full jitter"), so that
 * writers failing together do not come back together.
 *
 * @example
 * backoffDelay(3, { baseDelayMs: 50, maxDelayMs: 500 }); // somewhere in [0, 400)
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  if (!(Number.isInteger(attempt) && attempt >= 0)) {
    throw new RangeError(`attempt must be an integer >= 0, got ${attempt}`);
  }
  // 2^30 is far past any cap; bounding the exponent keeps the product finite.
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}

/** Checks a policy, naming the field that is wrong. */
export function checkBackoffPolicy(policy: BackoffPolicy, name = 'policy'): void {
  if (!(Number.isFinite(policy.baseDelayMs) && policy.baseDelayMs > 0)) {
    throw new RangeError(`${name}.baseDelayMs must be a positive number, got ${policy.baseDelayMs}`);
  }
  if (!(Number.isFinite(policy.maxDelayMs) && policy.maxDelayMs >= policy.baseDelayMs)) {
    throw new RangeError(`${name}.maxDelayMs must be a number >= baseDelayMs, got ${policy.maxDelayMs}`);
  }
}
