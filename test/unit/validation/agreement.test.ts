import type { Tensor } from '../../../functions/core/tensors/tensor';
import { toFloat16Bits } from '../../../functions/core/tensors/float16';
import { isClassifierLike, OutputComparison } from '../../../functions/core/validation';

const fp32 = (shape: number[], values: number[]): Tensor => ({
  datatype: 'FP32',
  shape,
  data: Float32Array.from(values),
});

describe('OutputComparison', () => {
  it('measures the largest difference and the top-1 agreement of each row over every run', () => {
    const comparison = new OutputComparison('scores', 3);

    comparison.add(
      fp32([2, 3], [0.1, 0.7, 0.2, 0.5, 0.3, 0.2]),
      fp32([2, 3], [0.1, 0.6, 0.3, 0.5, 0.3, 0.2]),
    );
    comparison.add(fp32([1, 3], [0.2, 0.3, 0.5]), fp32([1, 3], [0.2, 0.5, 0.3]));

    const result = comparison.result();
    expect(result).toMatchObject({ output: 'scores', nonFiniteMismatches: 0, rows: 3 });
    expect(result.topOneAgreement).toBeCloseTo(2 / 3);
    expect(result.maxAbsDiff).toBeCloseTo(0.2, 6);
  });

  it('reports no top-1 agreement for outputs that are not class scores', () => {
    const comparison = new OutputComparison('depth');

    comparison.add(fp32([4], [1, 2, 3, 4]), fp32([4], [1, 2, 3, 4.5]));

    expect(comparison.result()).toEqual({ output: 'depth', maxAbsDiff: 0.5, nonFiniteMismatches: 0 });
  });

  it('counts values finite in one version and not in the other, and agrees on equal non-finite values', () => {
    const comparison = new OutputComparison('y');

    comparison.add(fp32([4], [NaN, Infinity, 1, 2]), fp32([4], [NaN, Infinity, NaN, -Infinity]));

    expect(comparison.result()).toEqual({ output: 'y', maxAbsDiff: 0, nonFiniteMismatches: 2 });
  });

  it('compares FP16 by value and 64-bit integers as numbers', () => {
    const half = new OutputComparison('half');
    const ints = new OutputComparison('ints');

    half.add(
      { datatype: 'FP16', shape: [2], data: Uint16Array.from([1, 0.5], toFloat16Bits) },
      { datatype: 'FP16', shape: [2], data: Uint16Array.from([1, 0.25], toFloat16Bits) },
    );
    ints.add(
      { datatype: 'INT64', shape: [2], data: BigInt64Array.from([3n, 10n]) },
      { datatype: 'INT64', shape: [2], data: BigInt64Array.from([3n, 7n]) },
    );

    expect(half.result().maxAbsDiff).toBe(0.25);
    expect(ints.result().maxAbsDiff).toBe(3);
  });
});

describe('isClassifierLike', () => {
  it.each<[string, Parameters<typeof isClassifierLike>[0], boolean, boolean]>([
    ['probabilities [-1, 10]', { name: 'p', datatype: 'FP32', shape: [-1, 10] }, true, true],
    ['CTC scores [-1, -1, 6625]', { name: 'p', datatype: 'FP32', shape: [-1, -1, 6625] }, true, true],
    ['a dynamic last dimension', { name: 'p', datatype: 'FP32', shape: [-1, 1, -1, -1] }, true, false],
    ['one score per row', { name: 'p', datatype: 'FP32', shape: [-1, 1] }, true, false],
    ['integer labels', { name: 'p', datatype: 'INT64', shape: [-1, 10] }, true, false],
    ['an output of unknown rank', { name: 'p', datatype: 'FP32', shape: [-1] }, false, false],
  ])('%s', (_label, spec, rankKnown, expected) => {
    expect(isClassifierLike(spec, rankKnown)).toBe(expected);
  });
});
