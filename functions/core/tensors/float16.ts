/**
 * IEEE 754 half precision (binary16) conversion. FP16 tensors travel as raw bits in a
 * `Uint16Array` because JavaScript has no half-precision number type in Node 20.
 */

// Scratch views for reading a double's exponent bits without Math.log2, which is slower
// and not exact near powers of two.
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Largest finite half, 65504. */
export const FLOAT16_MAX = 65504;

/**
 * Rounds a number to the nearest half (ties to even) and returns its 16 bits. Rounding is
 * done once from the double, not through float32, so there is no double rounding.
 * Values of magnitude 65520 or more become infinity, as IEEE rounding prescribes.
 *
 * @example
 * toFloat16Bits(1); // 0x3c00
 * toFloat16Bits(65519); // 0x7bff (65504)
 */
export function toFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= 65520) return sign | 0x7c00;
  if (magnitude < 6.103515625e-5) {
    // Subnormal: a multiple of 2^-24. Scaling by a power of two is exact in a double.
    return sign | roundHalfEven(magnitude * 16777216);
  }
  scratch[0] = magnitude;
  const exponent = ((scratchWords[HIGH_WORD] >>> 20) & 0x7ff) - 1023;
  // magnitude / 2^exponent is in [1, 2) and exact; the mantissa may round up to 1024,
  // which carries into the exponent field, the right encoding of the next power of two.
  const mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  return sign | (((exponent + 15) << 10) + mantissa);
}

/**
 * Returns the number that 16 half-precision bits encode.
 *
 * @example
 * fromFloat16Bits(0x3c00); // 1
 */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 5.960464477539063e-8;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5 || (fraction === 0.5 && (floor & 1) === 1)) return floor + 1;
  return floor;
}
