import { decodeSamples, randomSamples } from '../../../models/quantize/samples';

const INPUTS = [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 2] }];

describe('decodeSamples', () => {
  it('reads one infer request body or an array of them, one sample each', () => {
    const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] };

    const one = decodeSamples(body, INPUTS, 'one.json');
    const two = decodeSamples([body, body], INPUTS, 'two.json');

    expect(one).toHaveLength(1);
    expect(two).toHaveLength(2);
    expect(Array.from(one[0]?.x?.data ?? [], Number)).toEqual([1, 2]);
  });

  it('names the file and the sample of a body that does not fit the model', () => {
    const bad = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] };

    expect(() => decodeSamples([bad], INPUTS, 'cal.json')).toThrow(/^calibration: cal\.json\[0\]: input 'x'/);
  });
});

describe('randomSamples', () => {
  it('fills dynamic dimensions and is the same for a seed', () => {
    const samples = randomSamples(INPUTS, { count: 2, seed: 1, dynamicSize: 3 });

    expect(samples).toHaveLength(2);
    expect(samples[0]?.x?.shape).toEqual([3, 2]);
    expect(randomSamples(INPUTS, { count: 2, seed: 1, dynamicSize: 3 })).toEqual(samples);
    for (const value of samples[0]?.x?.data ?? []) {
      expect(Math.abs(Number(value))).toBeLessThanOrEqual(1);
    }
  });

  it('refuses a shape that does not fit the schema', () => {
    expect(() => randomSamples(INPUTS, { count: 1, seed: 1, shapes: { x: [1, 3] } })).toThrow(
      "input shape of 'x': [1, 3] does not fit the model's [-1, 2]",
    );
  });
});
