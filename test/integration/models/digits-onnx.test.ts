import { WasmRuntime } from '../../../functions/adapters/onnx/wasm-runtime';
import { readOnnxSchema } from '../../../functions/core/runtime/onnx-schema';
import { readModelMetadata } from '../../../models/onnx/metadata';
import {
  DIGITS_METADATA,
  exportDigitsModel,
  loadDigits,
  selectRows,
  trainDigits,
  verifyDigitsOnnx,
  type DigitsDataset,
  type DigitsTrainingResult,
} from '../../../models/recipes/digits';

describe('exported digits model', () => {
  let dataset: DigitsDataset;
  let result: DigitsTrainingResult;
  let bytes: Uint8Array;

  beforeAll(async () => {
    dataset = await loadDigits();
    result = await trainDigits(dataset, { epochs: 4, seed: 42 });
    bytes = exportDigitsModel(result);
  });

  it('declares pixels FP32 [-1, 64] in and probabilities FP32 [-1, 10] out, with Gemm, Relu and Softmax', () => {
    const schema = readOnnxSchema(bytes);

    expect(schema.inputs).toEqual([{ name: 'pixels', datatype: 'FP32', shape: [-1, 64] }]);
    expect(schema.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }]);
    expect(schema.operators).toEqual({ Gemm: 3, Relu: 2, Softmax: 1 });
  });

  it('records the seed, the epochs and the held-out accuracy in metadata_props', () => {
    const metadata = readModelMetadata(bytes);

    expect(metadata[DIGITS_METADATA.recipe]).toBe('digits');
    expect(metadata[DIGITS_METADATA.seed]).toBe('42');
    expect(metadata[DIGITS_METADATA.epochs]).toBe('4');
    expect(Number(metadata[DIGITS_METADATA.heldOutAccuracy])).toBeCloseTo(result.final.heldOutAccuracy, 4);
  });

  it('gives on onnxruntime-web the accuracy and the probabilities of the TypeScript forward pass', async () => {
    const runtime = await WasmRuntime.create();

    const check = await verifyDigitsOnnx(
      bytes,
      result.mlp,
      selectRows(dataset, result.split.heldOut),
      runtime,
    );

    expect(check.onnxAccuracy).toBe(result.final.heldOutAccuracy);
    expect(check.typescriptAccuracy).toBe(result.final.heldOutAccuracy);
    expect(check.onnxAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(check.disagreements).toBe(0);
    expect(check.maxAbsDiff).toBeLessThan(1e-5);
  });
});
