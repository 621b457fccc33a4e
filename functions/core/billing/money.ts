import { InfergateError } from '../errors';

/**
 * Exact money arithmetic for billing. Money is never a binary float: prices are decimal
 * strings with at most 6 decimals, read into `bigint` micro-units (1e-6 of the currency),
 * and charges are computed exactly in nano-units (1e-9) before one rounding to the
 * currency's minor unit.
 *
 * Why nano-units: a price per 1,000 requests in micro-units, times a request count, is
 * exact in units of 1e-9 (`requests × price / 1000`); so is a price per compute-second
 * times whole milliseconds (`ms × price / 1000`). Nothing is divided before rounding.
 */

/** Decimals a price may have. */
export const PRICE_DECIMALS = 6;
/** Decimals of an exact (unrounded) charge: price decimals plus the /1000 of both units. */
export const EXACT_DECIMALS = 9;

const PRICE_PATTERN = /^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/**
 * ISO 4217 minor units of the currencies that do not have two. Every other code has two
 * (USD, EUR, GBP, CHF, ...). Kept as data rather than read from `Intl`, whose CLDR data
 * differs from ISO 4217 for some codes (it gives HUF and IDR no decimals).
 */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0,
  UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
}; // prettier-ignore

/** A price or currency billing cannot use: a plan is malformed. */
export class InvalidPriceError extends InfergateError {
  public constructor(message: string, options?: ErrorOptions) {
    super(500, 'invalid_price', message, options);
    this.name = 'InvalidPriceError';
  }
}

/**
 * Reads a price (`"0.40"`, `"12"`, `"0.000125"`) into micro-units. Refuses negative
 * numbers, exponents, more than 6 decimals and anything that is not a plain decimal.
 *
 * @example
 * parsePrice('0.40'); // 400000n
 */
export function parsePrice(value: string): bigint {
  const match = PRICE_PATTERN.exec(value);
  if (match === null) {
    throw new InvalidPriceError(
      `Price "${value.slice(0, 40)}" is not a decimal with at most ${PRICE_DECIMALS} decimals`,
    );
  }
  const [, whole = '0', fraction = ''] = match;
  return BigInt(whole) * 1_000_000n + BigInt(fraction.slice(1).padEnd(PRICE_DECIMALS, '0'));
}

/**
 * Digits after the decimal point of a currency's minor unit (ISO 4217): 2 for USD, 0 for
 * JPY, 3 for KWD.
 */
export function minorUnitDigits(currency: string): number {
  if (!CURRENCY_PATTERN.test(currency)) {
    throw new InvalidPriceError(`Currency "${currency.slice(0, 16)}" is not an ISO 4217 code such as USD`);
  }
  return MINOR_UNITS[currency] ?? 2;
}

/**
 * Rounds an exact, non-negative amount in nano-units half-up to the currency's minor unit
 * and returns it in minor units (cents for USD).
 *
 * @example
 * roundToMinor(5_000_000n, 'USD'); // 1n: 0.005 USD rounds up to one cent
 * roundToMinor(4_999_999n, 'USD'); // 0n
 */
export function roundToMinor(nano: bigint, currency: string): bigint {
  if (nano < 0n) throw new RangeError('billing amounts are never negative');
  const divisor = 10n ** BigInt(EXACT_DECIMALS - minorUnitDigits(currency));
  return (nano + divisor / 2n) / divisor;
}

/**
 * Writes a non-negative integer of units of 10^-decimals as a decimal string.
 *
 * @example
 * formatUnits(1234n, 2); // '12.34'
 * formatUnits(7n, 0);    // '7'
 */
export function formatUnits(units: bigint, decimals: number): string {
  if (units < 0n) throw new RangeError('billing amounts are never negative');
  if (decimals === 0) return units.toString();
  const digits = units.toString().padStart(decimals + 1, '0');
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/** An amount in minor units as the currency writes it: `'12.34'` USD, `'1234'` JPY. */
export function formatMoney(minor: bigint, currency: string): string {
  return formatUnits(minor, minorUnitDigits(currency));
}

/**
 * A price in micro-units as a decimal with at least the currency's minor-unit digits and
 * no trailing zeros beyond them: `'0.40'`, `'0.000125'`, `'12.00'` for USD.
 */
export function formatPrice(micro: bigint, currency: string): string {
  const full = formatUnits(micro, PRICE_DECIMALS);
  const keep = minorUnitDigits(currency);
  const [whole = '0', fraction = ''] = full.split('.');
  let trimmed = fraction;
  while (trimmed.length > keep && trimmed.endsWith('0')) trimmed = trimmed.slice(0, -1);
  return trimmed === '' ? whole : `${whole}.${trimmed}`;
}
