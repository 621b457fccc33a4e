import { softmax, topK } from '../../../functions/core/pipelines/classification';
import { taskResult } from '../../../functions/core/pipelines/predictions';
import { pipelineSchema } from '../../../functions/api/schemas';
import { InfergateError } from '../../../functions/core/errors';

describe('softmax', () => {
  it('matches exp(x) / sum(exp(x))', () => {
    const result = softmax([1, 2, 3]);

    const sum = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(result[0]).toBeCloseTo(Math.exp(1) / sum, 12);
    expect(result[2]).toBeCloseTo(Math.exp(3) / sum, 12);
  });

  it('gives 0.25 and 0.75 for logits 0 and ln 3', () => {
    expect([...softmax([0, Math.log(3)])].map((p) => Number(p.toFixed(12)))).toEqual([0.25, 0.75]);
  });

  it('stays finite for large logits', () => {
    const result = softmax(Float32Array.of(1000, 1000, 999));

    expect([...result].every(Number.isFinite)).toBe(true);
    expect(result[0]).toBeCloseTo(result[1], 12);
    expect(result[0] + result[1] + result[2]).toBeCloseTo(1, 12);
  });
});

describe('topK', () => {
  it('answers the k best labels, best first', () => {
    expect(topK([0.1, 0.7, 0.2], ['cat', 'dog', 'fox'], 2)).toEqual([
      { label: 'dog', score: 0.7 },
      { label: 'fox', score: 0.2 },
    ]);
  });

  it('orders equal scores by class and stops at the number of classes', () => {
    expect(topK([0.5, 0.5, 0], ['a', 'b', 'c'], 10).map((entry) => entry.label)).toEqual(['a', 'b', 'c']);
  });

  it('refuses scores and labels of different lengths', () => {
    expect(() => topK([1, 2], ['a'], 1)).toThrow(RangeError);
  });
});

describe('taskResult (classification)', () => {
  const output = pipelineSchema.parse({
    input: {
      type: 'image',
      resize: { mode: 'fixed', width: 1, height: 1 },
      normalize: { type: 'scale', scale: 1 },
    },
    output: { type: 'classification', scores: 'logits', labels: ['0', '180'], topK: 1 },
  }).output;

  it('applies the softmax to logits and answers topK labels unless asked for more', () => {
    const tensor = { datatype: 'FP32', shape: [1, 2], data: Float32Array.of(0, Math.log(3)) } as const;

    const one = taskResult(output, tensor);
    const two = taskResult(output, tensor, 2);

    expect(one).toEqual({ labels: [{ label: '180', score: expect.closeTo(0.75, 6) }] });
    expect(two).toEqual({
      labels: [
        { label: '180', score: expect.closeTo(0.75, 6) },
        { label: '0', score: expect.closeTo(0.25, 6) },
      ],
    });
  });

  it('refuses an output of another shape with 500 pipeline_output_mismatch', () => {
    const tensor = { datatype: 'FP32', shape: [1, 3], data: Float32Array.of(0, 1, 2) } as const;

    expect(() => taskResult(output, tensor)).toThrow(
      expect.objectContaining({ status: 500, code: 'pipeline_output_mismatch' }) as InfergateError,
    );
  });
});
