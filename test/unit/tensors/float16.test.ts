import { FLOAT16_MAX, fromFloat16Bits, toFloat16Bits } from '../../../functions/core/tensors/float16';

describe('toFloat16Bits', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [0, 0x0000],
    [-0, 0x8000],
    [FLOAT16_MAX, 0x7bff],
    [65519.99, 0x7bff],
    [65520, 0x7c00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400],
    [2 ** -14 - 2 ** -25, 0x0400],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000],
    [3 * 2 ** -25, 0x0002],
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
  ])('rounds %p to bits %p', (value, bits) => {
    expect(toFloat16Bits(value)).toBe(bits);
  });

  it('encodes NaN as the quiet NaN', () => {
    expect(toFloat16Bits(NaN)).toBe(0x7e00);
  });

  it('rounds once from the double (no double rounding through float32)', () => {
    // float32 would round this to 1 + 2^-11, the midpoint, which then ties to 1.
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -30)).toBe(0x3c01);
  });

  it('round-trips every finite half and rounds every midpoint to even', () => {
    const wrong: string[] = [];
    for (let bits = 0; bits < 0x7c00; bits++) {
      const value = fromFloat16Bits(bits);
      if (toFloat16Bits(value) !== bits) wrong.push(`${value}`);
      if (toFloat16Bits(-value) !== (bits | 0x8000)) wrong.push(`${-value}`);
      if (bits < 0x7bff) {
        const midpoint = (value + fromFloat16Bits(bits + 1)) / 2;
        if (toFloat16Bits(midpoint) !== (bits % 2 === 0 ? bits : bits + 1))
          wrong.push(`midpoint ${midpoint}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('fromFloat16Bits', () => {
  it.each([
    [0x3c00, 1],
    [0x0001, 2 ** -24],
    [0x7bff, 65504],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x8000, -0],
  ])('decodes bits %p to %p', (bits, value) => {
    expect(fromFloat16Bits(bits)).toBe(value);
  });

  it('decodes NaN payloads as NaN', () => {
    expect(fromFloat16Bits(0x7e00)).toBeNaN();
    expect(fromFloat16Bits(0xfc01)).toBeNaN();
  });
});
