/**
 * The arithmetic of linear quantization, `real = (q - zeroPoint) * scale`, as ONNX's
 * QuantizeLinear/DequantizeLinear define it. Pure functions over typed arrays.
 */

/** Weights quantized to int8, symmetric (zero point 0), one scale per channel or one in all. */
export interface Int8Weights {
  readonly values: Int8Array;
  /** One scale per channel of `axis`, or a single one when `axis` is undefined. */
  readonly scales: Float32Array;
  readonly zeroPoints: Int8Array;
  readonly axis?: number;
}

/** Weights quantized to uint8 with one zero point (for ConvInteger). */
export interface Uint8Weights {
  readonly values: Uint8Array;
  /** One scale per channel of `axis`, or a single one when `axis` is undefined. */
  readonly scales: Float32Array;
  /** A single zero point. */
  readonly zeroPoints: Uint8Array;
  readonly axis?: number;
}

/** The scale and zero point of an activation tensor quantized to uint8. */
export interface ActivationParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Rounds half to even, as QuantizeLinear does. */
export function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5 || (fraction === 0.5 && floor % 2 !== 0)) return floor + 1;
  return floor;
}

/** Channel count and layout of `dims` split at `axis`: `outer x channels x inner`. */
function channelLayout(
  dims: readonly number[],
  axis: number | undefined,
): { channels: number; inner: number; outer: number } {
  const total = dims.reduce((product, dim) => product * dim, 1);
  if (axis === undefined) return { channels: 1, inner: total, outer: 1 };
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length) {
    throw new RangeError(`axis must be an integer in [0, ${dims.length - 1}], got ${axis}`);
  }
  const channels = dims[axis] ?? 1;
  const inner = dims.slice(axis + 1).reduce((product, dim) => product * dim, 1);
  return { channels, inner, outer: total / (channels * inner) };
}

/** Visits every element with its channel. */
function forEachChannel(
  dims: readonly number[],
  axis: number | undefined,
  visit: (index: number, channel: number) => void,
): number {
  const { channels, inner, outer } = channelLayout(dims, axis);
  let index = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < inner; i++) visit(index++, c);
    }
  }
  return channels;
}

/** The smallest scale used for an all-zero channel, so that scales are never 0. */
const MIN_SCALE = 1e-12;

/**
 * Quantizes float weights to int8 in [-127, 127] with zero point 0: per channel along
 * `axis` (the output channels), or per tensor when `axis` is undefined. Each channel's
 * scale is its largest magnitude over 127.
 *
 * @example
 * // MatMul weights [K=2, N=2], per column (axis 1):
 * quantizeInt8Symmetric(new Float32Array([1, -3, 0.25, 4]), [2, 2], 1);
 * // scales [1/127, 4/127], values [127, -95, 32, 127]
 */
export function quantizeInt8Symmetric(
  weights: Float32Array,
  dims: readonly number[],
  axis: number | undefined,
): Int8Weights {
  const { channels } = channelLayout(dims, axis);
  const maxAbs = new Float32Array(channels);
  forEachChannel(dims, axis, (index, channel) => {
    maxAbs[channel] = Math.max(maxAbs[channel] ?? 0, Math.abs(weights[index] ?? 0));
  });
  const scales = maxAbs.map((max) => Math.max(max / 127, MIN_SCALE));
  const values = new Int8Array(weights.length);
  forEachChannel(dims, axis, (index, channel) => {
    const q = roundHalfToEven((weights[index] ?? 0) / (scales[channel] ?? 1));
    values[index] = Math.min(127, Math.max(-127, q));
  });
  return { values, scales, zeroPoints: new Int8Array(channels), ...(axis === undefined ? {} : { axis }) };
}

/**
 * Quantizes float weights to uint8 around a shared zero point of 128: the int8 values of
 * {@link quantizeInt8Symmetric} shifted by 128, scales per channel along `axis`. This is
 * the form for ConvInteger, which onnxruntime runs with uint8 weights and a single
 * weight zero point only; the per-channel scales are applied after it.
 */
export function quantizeUint8Symmetric(
  weights: Float32Array,
  dims: readonly number[],
  axis: number | undefined,
): Uint8Weights {
  const signed = quantizeInt8Symmetric(weights, dims, axis);
  const values = Uint8Array.from(signed.values, (value) => value + 128);
  return {
    values,
    scales: signed.scales,
    zeroPoints: new Uint8Array([128]),
    ...(axis === undefined ? {} : { axis }),
  };
}

/**
 * uint8 scale and zero point covering [min, max] widened to include 0 (so that 0, padding
 * and ReLU's floor, is exact).
 *
 * @example
 * activationParams(0, 6); // { scale: 6 / 255, zeroPoint: 0 }
 * activationParams(-1, 3); // { scale: 4 / 255, zeroPoint: 64 }
 */
export function activationParams(min: number, max: number): ActivationParams {
  const low = Math.min(min, 0);
  const high = Math.max(max, 0);
  const scale = Math.fround((high - low) / 255);
  if (!(scale > 0) || !Number.isFinite(scale)) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = Math.min(255, Math.max(0, roundHalfToEven(-low / scale)));
  return { scale, zeroPoint };
}

/**
 * Quantizes a bias to int32 with the scale `inputScale * weightScale[c]` per channel, the
 * form QLinearConv and QGemm take it in.
 */
export function quantizeBiasInt32(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array } {
  const scales = Float32Array.from(bias, (_, c) =>
    Math.fround(inputScale * (weightScales[weightScales.length === 1 ? 0 : c] ?? 1)),
  );
  const values = Int32Array.from(bias, (value, c) => {
    const q = roundHalfToEven(value / (scales[c] ?? 1));
    return Math.min(2147483647, Math.max(-2147483648, q));
  });
  return { values, scales };
}

/** Dequantizes int8 or uint8 values along `axis` (the inverse of the functions above). */
export function dequantize(
  values: Int8Array | Uint8Array,
  scales: Float32Array,
  zeroPoints: Int8Array | Uint8Array,
  dims: readonly number[],
  axis: number | undefined,
): Float32Array {
  const out = new Float32Array(values.length);
  forEachChannel(dims, axis, (index, channel) => {
    out[index] = ((values[index] ?? 0) - (zeroPoints[channel] ?? 0)) * (scales[channel] ?? 1);
  });
  return out;
}
