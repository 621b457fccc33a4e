import { InfergateError } from '../errors';
import type { Plan, Tier } from '../registry/types';
import { parsePrice, roundToMinor } from './money';

/** A plan's price for one line, in micro-units of the plan's currency. */
export interface UnitPrice {
  /** `model`: the plan's override for the model; `tier`: the plan's price for the tier. */
  readonly source: 'model' | 'tier';
  readonly perThousandRequestsMicro: bigint;
  readonly perComputeSecondMicro: bigint;
}

/** A line's charges in minor units of the currency, each rounded once. */
export interface Charge {
  readonly requestsMinor: bigint;
  readonly computeMinor: bigint;
  /** `requestsMinor + computeMinor`. */
  readonly amountMinor: bigint;
}

/** Usage that billing cannot price (a plan that does not exist, a version that is gone). */
export class UnpricedUsageError extends InfergateError {
  public constructor(message: string, options?: ErrorOptions) {
    super(500, 'unpriced_usage', message, options);
    this.name = 'UnpricedUsageError';
  }
}

/**
 * The price that applies to a model version under a plan: the plan's override for the
 * model when there is one, else the plan's price for the version's tier.
 *
 * @example
 * const price = unitPriceOf(plan, 'text-direction', 'lambda');
 */
export function unitPriceOf(plan: Plan, modelName: string, tier: Tier): UnitPrice {
  const override = plan.prices.models?.[modelName];
  const price = override ?? plan.prices.tiers[tier];
  if (price === undefined) {
    throw new UnpricedUsageError(`Plan "${plan.planId}" has no price for tier "${tier}"`);
  }
  return {
    source: override === undefined ? 'tier' : 'model',
    perThousandRequestsMicro: parsePrice(price.perThousandRequests),
    perComputeSecondMicro: parsePrice(price.perComputeSecond),
  };
}

/**
 * Prices billed requests and whole milliseconds of compute. Each charge is computed
 * exactly (in nano-units: `requests × price/1000`, `ms × price/1000`) and rounded half-up
 * to the currency's minor unit once; the line's amount is the sum of the two rounded
 * charges, so every figure of a report is the sum of the figures under it.
 *
 * @example
 * chargeOf(1500n, 2500n, price, 'USD'); // 1,500 requests and 2.5 s of compute
 */
export function chargeOf(requests: bigint, computeMs: bigint, price: UnitPrice, currency: string): Charge {
  if (requests < 0n || computeMs < 0n) throw new RangeError('usage counters are never negative');
  const requestsMinor = roundToMinor(requests * price.perThousandRequestsMicro, currency);
  const computeMinor = roundToMinor(computeMs * price.perComputeSecondMicro, currency);
  return { requestsMinor, computeMinor, amountMinor: requestsMinor + computeMinor };
}

/**
 * A usage row's compute in whole microseconds. Events are metered to the microsecond
 * (`computeMs` with at most 3 decimals); rounding here only removes the binary-float noise
 * of reading a decimal counter back as a `number`.
 */
export function computeMicrosOf(computeMs: number): bigint {
  if (!Number.isFinite(computeMs) || computeMs < 0) {
    throw new RangeError(`computeMs must be a non-negative number, got ${computeMs}`);
  }
  return BigInt(Math.round(computeMs * 1000));
}

/** Microseconds to whole milliseconds, rounded half-up: what a line bills. */
export function billedMillis(micros: bigint): bigint {
  return (micros + 500n) / 1000n;
}
