import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wasmTierRuntimes } from '../../../functions/adapters/onnx/tier-runtimes';
import { WasmRuntime } from '../../../functions/adapters/onnx/wasm-runtime';
import { InfergateError } from '../../../functions/core/errors';
import { type LoadFailure, ModelLoadError } from '../../../functions/core/runtime/model-runtime';
import { ModelValidator } from '../../../functions/core/validation';
import { buildOnnxModel, type ModelSpec } from '../../../models/onnx/builder';
import { PRETRAINED, pretrainedFile } from '../../../models/pretrained';
import { quantizeModel } from '../../../models/quantize';
import { digitsEvaluationSet } from '../../../models/recipes/evaluation-sets';
import { trainedDigitsOnnx } from '../../support/digits-model';
import { fixtureModel } from '../../support/fixtures';

const relu = (extra: Partial<ModelSpec>): ModelSpec => ({
  name: 'relu',
  inputs: [{ name: 'x', datatype: 'FP32', shape: ['batch', 3] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: ['batch', 3] }],
  nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  ...extra,
});

/**
 * onnxruntime-web's refusals, classified by the adapter (so that registration can name the
 * problem), and the validator on real models: the fixtures with every datatype and the
 * PaddleOCR models with dynamic spatial dimensions.
 */
describe('onnxruntime-web load failures', () => {
  let runtime: WasmRuntime;

  beforeAll(async () => {
    runtime = await WasmRuntime.create();
  });

  async function failureOf(bytes: Uint8Array): Promise<ModelLoadError> {
    try {
      await (await runtime.load(bytes)).release();
    } catch (error) {
      if (error instanceof ModelLoadError) return error;
      throw error;
    }
    throw new Error('expected the load to fail');
  }

  it.each<[string, () => Uint8Array, LoadFailure, RegExp]>([
    [
      'an operator of a custom domain',
      () =>
        buildOnnxModel(
          relu({
            nodes: [{ op: 'Frobnicate', domain: 'com.example', inputs: ['x'], outputs: ['y'] }],
            domainOpsets: { 'com.example': 1 },
          }),
        ),
      { kind: 'unsupported_operator', operator: 'com.example:Frobnicate' },
      /^Fatal error: com\.example:Frobnicate\(-1\) is not a registered function\/op$/,
    ],
    [
      'an unknown operator of the default domain',
      () => buildOnnxModel(relu({ nodes: [{ op: 'FooBar', inputs: ['x'], outputs: ['y'] }] })),
      { kind: 'unsupported_operator', operator: 'FooBar', version: 17 },
      /No Op registered for FooBar/,
    ],
    [
      'an operator version without a kernel',
      () => buildOnnxModel(relu({ opset: 1 })),
      { kind: 'unsupported_operator', operator: 'Relu', version: 1 },
      /Could not find an implementation for Relu\(1\)/,
    ],
    [
      'a future opset',
      () => buildOnnxModel(relu({ opset: 30 })),
      { kind: 'unsupported_opset', domain: 'ai.onnx', opset: 30, supported: expect.any(Number) },
      /^ONNX Runtime only \*guarantees\* support/,
    ],
    [
      'a future IR version',
      () => buildOnnxModel(relu({ irVersion: 99 })),
      { kind: 'unsupported_ir_version', irVersion: 99, supported: expect.any(Number) },
      /^Unsupported model IR version: 99/,
    ],
    [
      'bytes that are not a protobuf',
      () => new TextEncoder().encode('hello, not a model'),
      { kind: 'invalid_model' },
      /protobuf parsing failed/,
    ],
    [
      'an operator given a type it does not take',
      () =>
        buildOnnxModel({
          name: 'sqrt',
          inputs: [{ name: 'x', datatype: 'INT8', shape: [1] }],
          outputs: [{ name: 'y', datatype: 'INT8', shape: [1] }],
          nodes: [{ op: 'Sqrt', inputs: ['x'], outputs: ['y'] }],
        }),
      { kind: 'invalid_model' },
      /Type 'tensor\(int8\)' of input parameter \(x\) of operator \(Sqrt\)/,
    ],
  ])('classifies %s', async (_label, bytes, failure, detail) => {
    const error = await failureOf(bytes());

    expect(error.failure).toEqual(failure);
    expect(error.detail).toMatch(detail);
    // Source locations and C++ signatures of onnxruntime are not part of the message.
    expect(error.detail).not.toMatch(/\.(?:cc|h):\d+|onnxruntime::/);
    // To inference, a registered model that does not load is still the platform's failure.
    expect(error).toBeInstanceOf(InfergateError);
    expect(error).toMatchObject({ status: 502, code: 'model_load_failed' });
  });

  it('classifies the corrupt fixture as an invalid model', async () => {
    const error = await failureOf(await readFile(fixtureModel(join('rejected', 'corrupt.onnx'))));

    expect(error.failure).toEqual({ kind: 'invalid_model' });
    expect(error.detail).toBe(
      'This is an invalid model. Graph output (product) does not exist in the graph.',
    );
  });
});

describe('ModelValidator on onnxruntime-web', () => {
  const validator = new ModelValidator({ runtimes: wasmTierRuntimes(), maxModelBytes: 64 * 1024 * 1024 });

  it.each<[string, () => Promise<Uint8Array>, Record<string, number[]>]>([
    [
      'every datatype (identity-all-types.onnx)',
      () => readFile(fixtureModel('identity-all-types.onnx')),
      { in_bool: [1, 32], in_bytes: [1, 32], in_fp16: [1, 32], in_uint64: [1, 32] },
    ],
    ['a scalar (scalar.onnx)', () => readFile(fixtureModel('scalar.onnx')), { x: [] }],
    [
      'the PaddleOCR text-direction classifier',
      () => readFile(pretrainedFile(PRETRAINED.textDirection)),
      { x: [1, 3, 32, 32] },
    ],
    [
      'the PaddleOCR text detector (H and W multiples of 32)',
      () => readFile(pretrainedFile(PRETRAINED.textDetection)),
      { x: [1, 3, 32, 32] },
    ],
    [
      'the PaddleOCR recognizer',
      () => readFile(pretrainedFile(PRETRAINED.textRecognition)),
      { x: [1, 3, 48, 32] },
    ],
  ])('accepts %s and records the sample it ran', async (_label, bytes, shapes) => {
    const { validation, agreement } = await validator.validate(await bytes(), 'lambda');

    expect(validation.runtime).toMatch(/^onnxruntime-web 1\.\d+\.\d+ \(wasm\)$/);
    const sample = Object.fromEntries(validation.sample.map((input) => [input.name, input.shape]));
    expect(sample).toMatchObject(shapes);
    expect(agreement).toBeUndefined();
  });

  it('checks the sagemaker tier on the same CPU runtime and says so', async () => {
    const { validation } = await validator.validate(
      await readFile(fixtureModel('add-mul.onnx')),
      'sagemaker',
    );

    expect(validation.runtime).toMatch(
      /^onnxruntime-web 1\.\d+\.\d+ \(wasm\), CPU stand-in for the SageMaker tier/,
    );
  });

  it('accepts a static-int8 float-out version (com.microsoft operators) on the lambda tier', async () => {
    const fp32 = Buffer.from(await trainedDigitsOnnx());
    const set = await digitsEvaluationSet(fp32);
    const int8 = (
      await quantizeModel(fp32, { mode: 'static-int8', format: 'float-out', calibration: set?.calibration })
    ).bytes;

    const { schema, agreement } = await validator.validate(int8, 'lambda', { version: '1', bytes: fp32 });

    expect(schema.operators).toMatchObject({ 'com.microsoft.MatMulIntegerToFloat': 3, QuantizeLinear: 3 });
    const [output] = agreement?.outputs ?? [];
    expect(output).toMatchObject({ output: 'probabilities', rows: 32, nonFiniteMismatches: 0 });
    expect(output?.maxAbsDiff).toBeGreaterThan(0);
  });

  it('measures an fp16 version against its fp32 baseline', async () => {
    const fp32 = Buffer.from(await trainedDigitsOnnx());
    const fp16 = (await quantizeModel(fp32, { mode: 'fp16' })).bytes;

    const { agreement } = await validator.validate(fp16, 'lambda', { version: '1', bytes: fp32 });

    expect(agreement).toMatchObject({ baselineVersion: '1', samples: 32, seed: 42 });
    const [output] = agreement?.outputs ?? [];
    expect(output).toMatchObject({
      output: 'probabilities',
      rows: 32,
      topOneAgreement: 1,
      nonFiniteMismatches: 0,
    });
    expect(output?.maxAbsDiff).toBeGreaterThan(0);
    expect(output?.maxAbsDiff).toBeLessThan(0.01);
  });
});
