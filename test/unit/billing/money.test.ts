import {
  formatMoney,
  formatPrice,
  formatUnits,
  minorUnitDigits,
  parsePrice,
  roundToMinor,
} from '../../../functions/core/billing/money';
import {
  chargeOf,
  computeMicrosOf,
  billedMillis,
  type UnitPrice,
} from '../../../functions/core/billing/pricing';

describe('parsePrice', () => {
  it.each([
    ['0', 0n],
    ['0.4', 400_000n],
    ['0.40', 400_000n],
    ['12', 12_000_000n],
    ['0.000001', 1n],
    ['0.000125', 125n],
    ['999999999999999999.999999', 999_999_999_999_999_999_999_999n],
  ])('reads %s exactly', (text, micro) => {
    expect(parsePrice(text)).toBe(micro);
  });

  it.each(['', '-1', '+1', '1e3', '0.0000001', '.5', '1.', '01', ' 1', '1,5', 'NaN', 'Infinity', '0x10'])(
    'refuses %j with invalid_price',
    (text) => {
      expect(() => parsePrice(text)).toThrow(expect.objectContaining({ code: 'invalid_price', status: 500 }));
    },
  );
});

describe('minorUnitDigits', () => {
  it('follows ISO 4217', () => {
    expect(minorUnitDigits('USD')).toBe(2);
    expect(minorUnitDigits('EUR')).toBe(2);
    expect(minorUnitDigits('HUF')).toBe(2);
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(minorUnitDigits('KRW')).toBe(0);
    expect(minorUnitDigits('KWD')).toBe(3);
    expect(minorUnitDigits('CLF')).toBe(4);
  });

  it.each(['usd', 'US', 'USDX', ''])('refuses %j', (code) => {
    expect(() => minorUnitDigits(code)).toThrow(expect.objectContaining({ code: 'invalid_price' }));
  });
});

describe('roundToMinor (nano-units, half-up)', () => {
  it('keeps zero at zero', () => {
    expect(roundToMinor(0n, 'USD')).toBe(0n);
  });

  it('rounds the half cent up and anything below it down', () => {
    expect(roundToMinor(4_999_999n, 'USD')).toBe(0n);
    expect(roundToMinor(5_000_000n, 'USD')).toBe(1n);
    expect(roundToMinor(14_999_999n, 'USD')).toBe(1n);
    expect(roundToMinor(15_000_000n, 'USD')).toBe(2n);
    expect(roundToMinor(25_000_000n, 'USD')).toBe(3n); // half-up, not half-even
  });

  it('rounds to the minor unit of the currency', () => {
    expect(roundToMinor(499_999_999n, 'JPY')).toBe(0n);
    expect(roundToMinor(500_000_000n, 'JPY')).toBe(1n);
    expect(roundToMinor(500_000n, 'KWD')).toBe(1n);
    expect(roundToMinor(499_999n, 'KWD')).toBe(0n);
  });

  it('stays exact far beyond 2^53', () => {
    const cents = 12_345_678_901_234_567_890n;
    expect(roundToMinor(cents * 10_000_000n + 4_999_999n, 'USD')).toBe(cents);
    expect(roundToMinor(cents * 10_000_000n + 5_000_000n, 'USD')).toBe(cents + 1n);
  });

  it('refuses negative amounts', () => {
    expect(() => roundToMinor(-1n, 'USD')).toThrow(RangeError);
  });
});

describe('formatting', () => {
  it('writes minor units with the currency digits', () => {
    expect(formatMoney(0n, 'USD')).toBe('0.00');
    expect(formatMoney(7n, 'USD')).toBe('0.07');
    expect(formatMoney(123_456n, 'USD')).toBe('1234.56');
    expect(formatMoney(1234n, 'JPY')).toBe('1234');
    expect(formatMoney(1n, 'KWD')).toBe('0.001');
    expect(formatMoney(12_345_678_901_234_567_890n, 'USD')).toBe('123456789012345678.90');
    expect(formatUnits(1500n, 3)).toBe('1.500');
  });

  it('writes prices without trailing zeros beyond the minor unit', () => {
    expect(formatPrice(400_000n, 'USD')).toBe('0.40');
    expect(formatPrice(125n, 'USD')).toBe('0.000125');
    expect(formatPrice(12_000_000n, 'USD')).toBe('12.00');
    expect(formatPrice(45_000_000n, 'JPY')).toBe('45');
    expect(formatPrice(15_000n, 'JPY')).toBe('0.015');
    expect(formatPrice(0n, 'USD')).toBe('0.00');
  });
});

describe('chargeOf', () => {
  const price = (perThousandRequests: string, perComputeSecond: string): UnitPrice => ({
    source: 'tier',
    perThousandRequestsMicro: parsePrice(perThousandRequests),
    perComputeSecondMicro: parsePrice(perComputeSecond),
  });

  it('charges nothing for nothing', () => {
    expect(chargeOf(0n, 0n, price('0.40', '0.000125'), 'USD')).toEqual({
      requestsMinor: 0n,
      computeMinor: 0n,
      amountMinor: 0n,
    });
  });

  it('prices per 1,000 requests and per compute-second, each rounded once', () => {
    // 1,234 requests × 0.40 / 1000 = 0.4936 → 0.49; 12.5 s × 0.000125 = 0.0015625 → 0.00.
    expect(chargeOf(1234n, 12_500n, price('0.40', '0.000125'), 'USD')).toEqual({
      requestsMinor: 49n,
      computeMinor: 0n,
      amountMinor: 49n,
    });
  });

  it('rounds exactly at the half: 0.005 up, 0.004999999 down', () => {
    // 125 × 0.04 / 1000 = 0.005 exactly.
    expect(chargeOf(125n, 0n, price('0.04', '0'), 'USD').requestsMinor).toBe(1n);
    // 1 × 0.004999 / 1000 s → use compute: 1 ms × 4.999999 = 0.004999999.
    expect(chargeOf(0n, 1n, price('0', '4.999999'), 'USD').computeMinor).toBe(0n);
    expect(chargeOf(0n, 1n, price('0', '5'), 'USD').computeMinor).toBe(1n);
  });

  it('uses all 6 decimals of a price', () => {
    // 1,000,000 requests × 0.000001 / 1000 = 0.000001 → 0.00; 10^10 requests → 10.00.
    expect(chargeOf(1_000_000n, 0n, price('0.000001', '0'), 'USD').requestsMinor).toBe(0n);
    expect(chargeOf(10_000_000_000n, 0n, price('0.000001', '0'), 'USD').requestsMinor).toBe(1000n);
    // 3,600,000 ms (1 h) × 0.000125 per s = 0.45.
    expect(chargeOf(0n, 3_600_000n, price('0', '0.000125'), 'USD').computeMinor).toBe(45n);
  });

  it('is exact for counts a float cannot hold', () => {
    const requests = 2n ** 64n + 1n;
    // (2^64 + 1) × 0.000003 / 1000 = 55340232221.128... → 55340232221.13
    expect(chargeOf(requests, 0n, price('0.000003', '0'), 'USD').requestsMinor).toBe(5_534_023_222_113n);
  });

  it('prices in the currency minor unit (JPY has none)', () => {
    // 333 × 45 / 1000 = 14.985 → 15 yen; 1.235 s × 0.015 = 0.018525 → 0 yen.
    expect(chargeOf(333n, 1235n, price('45', '0.015'), 'JPY')).toEqual({
      requestsMinor: 15n,
      computeMinor: 0n,
      amountMinor: 15n,
    });
  });
});

describe('compute metering', () => {
  it('reads decimal milliseconds as whole microseconds without float noise', () => {
    expect(computeMicrosOf(0)).toBe(0n);
    expect(computeMicrosOf(0.1 + 0.2)).toBe(300n);
    expect(computeMicrosOf(1234.567)).toBe(1_234_567n);
    expect(() => computeMicrosOf(-1)).toThrow(RangeError);
    expect(() => computeMicrosOf(Number.NaN)).toThrow(RangeError);
  });

  it('bills whole milliseconds, half-up', () => {
    expect(billedMillis(0n)).toBe(0n);
    expect(billedMillis(499n)).toBe(0n);
    expect(billedMillis(500n)).toBe(1n);
    expect(billedMillis(1_234_567n)).toBe(1235n);
  });
});
