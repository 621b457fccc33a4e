import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BadRequestError } from '../../../functions/core/errors';
import { readOnnxSchema } from '../../../functions/core/runtime/onnx-schema';
import {
  formatConfigPbtxt,
  readConfigHeader,
  tritonModelConfig,
} from '../../../functions/core/triton/model-config';
import { fixtureModel } from '../../support/fixtures';

const golden = (name: string) =>
  readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'triton', `${name}.config.pbtxt`), 'utf8');

describe('Triton config.pbtxt generation', () => {
  it('batches a model whose inputs and outputs share a dynamic first dimension (golden)', () => {
    const schema = readOnnxSchema(readFileSync(fixtureModel('add-mul.onnx')));

    const config = tritonModelConfig('add-mul', schema);

    expect(config.maxBatchSize).toBe(16);
    expect(config.dynamicBatching).toEqual({ maxQueueDelayMicroseconds: 500 });
    expect(config.inputs.map((input) => input.dims)).toEqual([[3], [3]]);
    expect(formatConfigPbtxt(config)).toBe(golden('add-mul'));
  });

  it('keeps full shapes and no dynamic batching when the first dimension is not a batch (golden)', () => {
    const config = tritonModelConfig('tokenizer-v2', {
      inputs: [
        { name: 'input_ids', datatype: 'INT64', shape: [1, -1] },
        { name: 'text "raw"', datatype: 'BYTES', shape: [1] },
      ],
      outputs: [{ name: 'logits:0', datatype: 'FP32', shape: [1, -1, 32000] }],
    });

    expect(config.maxBatchSize).toBe(0);
    expect(config.dynamicBatching).toBeUndefined();
    expect(formatConfigPbtxt(config)).toBe(golden('tokenizer-v2'));
  });

  it('does not batch when one tensor has a fixed or rank-1 first dimension', () => {
    const fixed = tritonModelConfig('m', {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 4] }],
    });
    const rankOne = tritonModelConfig('m', {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
    });

    expect(fixed.maxBatchSize).toBe(0);
    expect(fixed.inputs[0]?.dims).toEqual([-1, 4]);
    expect(rankOne.maxBatchSize).toBe(0);
  });

  it('takes the batch bound, queue delay and instance group from its options', () => {
    const config = tritonModelConfig(
      'm',
      {
        inputs: [{ name: 'x', datatype: 'UINT8', shape: [-1, 3, 224, 224] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1000] }],
      },
      { maxBatchSize: 64, maxQueueDelayMicroseconds: 2000, instanceGroup: { kind: 'KIND_GPU', count: 2 } },
    );

    const text = formatConfigPbtxt(config);
    expect(text).toContain('max_batch_size: 64\n');
    expect(text).toContain('max_queue_delay_microseconds: 2000\n');
    expect(text).toContain('    data_type: TYPE_UINT8\n    dims: [ 3, 224, 224 ]\n');
    expect(text).toContain('    kind: KIND_GPU\n    count: 2\n');
    expect(() => tritonModelConfig('m', { inputs: [], outputs: [] }, { maxBatchSize: 0 })).toThrow(
      RangeError,
    );
  });

  it('refuses scalar tensors, which Triton cannot take, naming them, and takes FP16, which travels as binary', () => {
    const refusal = (build: () => unknown): BadRequestError => {
      try {
        build();
      } catch (error) {
        if (error instanceof BadRequestError) return error;
      }
      throw new Error('expected a BadRequestError');
    };

    const fp16 = tritonModelConfig('m', {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'half', datatype: 'FP16', shape: [-1, 4] }],
    });
    const scalar = refusal(() =>
      tritonModelConfig('m', readOnnxSchema(readFileSync(fixtureModel('scalar.onnx')))),
    );

    expect(fp16.outputs).toEqual([{ name: 'half', dataType: 'TYPE_FP16', dims: [4] }]);
    expect(scalar.code).toBe('unsupported_model');
    expect(scalar.message).toContain("input 'x' is a scalar");
  });

  it('reads back the name and batch bound it wrote, escapes included', () => {
    const config = tritonModelConfig('a"b\\c', {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
    });

    expect(readConfigHeader(formatConfigPbtxt(config))).toEqual({ name: 'a"b\\c', maxBatchSize: 16 });
    expect(() => readConfigHeader('backend: "onnxruntime"\n')).toThrow(/no top-level name/);
  });
});
