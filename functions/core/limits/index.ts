/**
 * Plans in the data plane: the tenant's plan (cached), what it entitles a request to, and
 * the limiter that enforces its monthly quota and rate limit across every instance.
 */
export { checkEntitlements } from './entitlements';
export { TooManyRequestsError, type LimitCode } from './errors';
export { Limiter, type Admission, type LimiterOptions } from './limiter';
export type { AdmitOutcome, LimitKey, LimitStore, ReserveOutcome } from './limit-store';
export {
  judge,
  latestAdmissibleTat,
  limitHeaders,
  MICROS_PER_SECOND,
  monthOfMicros,
  requestLimitsOf,
  secondsToNextMonth,
  variantFor,
  type LimitState,
  type RateLimit,
  type RateVariant,
  type RequestLimits,
  type Verdict,
} from './policy';
export { OPERATOR_PLAN, TenantPlans, type TenantPlan, type TenantPlansOptions } from './tenant-plans';
