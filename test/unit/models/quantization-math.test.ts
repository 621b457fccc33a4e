import {
  activationParams,
  dequantize,
  quantizeBiasInt32,
  quantizeInt8Symmetric,
  quantizeUint8Symmetric,
  roundHalfToEven,
} from '../../../models/quantize/quantization-math';

describe('quantizeInt8Symmetric', () => {
  it('scales each column of MatMul weights by its own largest magnitude', () => {
    // W [K=2, N=2] = [[1, -3], [0.25, 4]]: column 0 peaks at 1, column 1 at 4.
    const weights = new Float32Array([1, -3, 0.25, 4]);

    const q = quantizeInt8Symmetric(weights, [2, 2], 1);

    expect(Array.from(q.scales)).toEqual([Math.fround(1 / 127), Math.fround(4 / 127)]);
    // 1 -> 127; -3 / (4/127) = -95.25 -> -95; 0.25 / (1/127) = 31.75 -> 32; 4 -> 127.
    expect(Array.from(q.values)).toEqual([127, -95, 32, 127]);
    expect(Array.from(q.zeroPoints)).toEqual([0, 0]);
    expect(q.axis).toBe(1);
  });

  it('scales each output channel of Conv weights (axis 0) separately', () => {
    // W [M=2, C=1, 1, 2]: channel 0 = [0.5, -0.25], channel 1 = [-10, 5].
    const q = quantizeInt8Symmetric(new Float32Array([0.5, -0.25, -10, 5]), [2, 1, 1, 2], 0);

    expect(Array.from(q.scales)).toEqual([Math.fround(0.5 / 127), Math.fround(10 / 127)]);
    expect(Array.from(q.values)).toEqual([127, -64, -127, 64]);
  });

  it('uses one scale for the tensor without an axis, losing the small channel', () => {
    const q = quantizeInt8Symmetric(new Float32Array([0.5, -0.25, -10, 5]), [2, 1, 1, 2], undefined);

    expect(Array.from(q.scales)).toEqual([Math.fround(10 / 127)]);
    expect(Array.from(q.values)).toEqual([6, -3, -127, 64]);
    expect(q.axis).toBeUndefined();
  });

  it('keeps all-zero channels at zero with a positive scale', () => {
    const q = quantizeInt8Symmetric(new Float32Array([0, 0, 1, -1]), [2, 2], 0);

    expect(q.scales[0]).toBeGreaterThan(0);
    expect(Array.from(q.values)).toEqual([0, 0, 127, -127]);
  });

  it('round-trips within half a step per channel', () => {
    const weights = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i) * (i < 30 ? 0.01 : 3));

    const q = quantizeInt8Symmetric(weights, [2, 30], 0);
    const restored = dequantize(q.values, q.scales, q.zeroPoints, [2, 30], 0);

    weights.forEach((value, i) => {
      expect(Math.abs((restored[i] ?? 0) - value)).toBeLessThanOrEqual(
        (q.scales[i < 30 ? 0 : 1] ?? 0) / 2 + 1e-9,
      );
    });
  });

  it('names the axis when it is out of range', () => {
    expect(() => quantizeInt8Symmetric(new Float32Array(4), [2, 2], 2)).toThrow(
      'axis must be an integer in [0, 1], got 2',
    );
  });
});

describe('quantizeUint8Symmetric', () => {
  it('shifts the int8 values by a single zero point of 128', () => {
    const q = quantizeUint8Symmetric(new Float32Array([1, -3, 0.25, 4]), [2, 2], 1);

    expect(Array.from(q.values)).toEqual([255, 33, 160, 255]);
    expect(Array.from(q.zeroPoints)).toEqual([128]);
  });
});

describe('activationParams', () => {
  it.each([
    [0, 6, 6 / 255, 0],
    [-1, 3, 4 / 255, 64],
    [0.5, 2, 2 / 255, 0], // widened to include 0
    [-4, -1, 4 / 255, 255],
  ])('covers [%d, %d] with scale %d and zero point %d', (min, max, scale, zeroPoint) => {
    const params = activationParams(min, max);

    expect(params.scale).toBeCloseTo(scale, 7);
    expect(params.zeroPoint).toBe(zeroPoint);
  });

  it('falls back to scale 1 for a constant zero tensor', () => {
    expect(activationParams(0, 0)).toEqual({ scale: 1, zeroPoint: 0 });
  });
});

describe('quantizeBiasInt32', () => {
  it('uses input scale times each channel weight scale', () => {
    const { values, scales } = quantizeBiasInt32(
      new Float32Array([1, -0.5]),
      0.5,
      new Float32Array([0.01, 0.1]),
    );

    expect(Array.from(scales)).toEqual([Math.fround(0.005), Math.fround(0.05)]);
    expect(Array.from(values)).toEqual([200, -10]);
  });
});

describe('roundHalfToEven', () => {
  it.each([
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [-0.5, 0],
    [-1.5, -2],
    [1.4, 1],
  ])('rounds %d to %d', (value, expected) => {
    expect(roundHalfToEven(value) + 0).toBe(expected);
  });
});
