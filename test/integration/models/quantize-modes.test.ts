import { readFileSync } from 'node:fs';
import { WasmRuntime } from '../../../functions/adapters/onnx/wasm-runtime';
import type { LoadedModel } from '../../../functions/core/runtime/model-runtime';
import { readOnnxSchema } from '../../../functions/core/runtime/onnx-schema';
import { buildOnnxModel, type ModelSpec } from '../../../models/onnx/builder';
import { readModelMetadata } from '../../../models/onnx/metadata';
import { PRETRAINED, pretrainedFile } from '../../../models/pretrained';
import {
  QUANTIZATION_METADATA_KEY,
  QuantizeError,
  compareModels,
  quantizeModel,
  type EvaluationSet,
} from '../../../models/quantize';
import { decodeModel, encodeModel, initializerMap, readFloats } from '../../../models/quantize/onnx-graph';
import { upgradeOpset } from '../../../models/quantize/opset-upgrade';
import {
  digitsEvaluationSet,
  renderedTextLineEvaluationSet,
  textLineEvaluationSet,
} from '../../../models/recipes/evaluation-sets';
import { exportDigitsModel, loadDigits, trainDigits } from '../../../models/recipes/digits';

describe('quantizeModel on onnxruntime-web', () => {
  let runtime: WasmRuntime;
  const loaded: LoadedModel[] = [];
  const load = async (bytes: Uint8Array): Promise<LoadedModel> => {
    const model = await runtime.load(bytes);
    loaded.push(model);
    return model;
  };

  beforeAll(async () => {
    runtime = await WasmRuntime.create();
  });

  afterAll(async () => {
    await Promise.all(loaded.map((model) => model.release()));
  });

  describe('the digits model', () => {
    let float: Uint8Array;
    let set: EvaluationSet;

    beforeAll(async () => {
      float = exportDigitsModel(await trainDigits(await loadDigits(), { epochs: 4, seed: 42 }));
      const known = await digitsEvaluationSet(float);
      if (known === undefined) throw new Error('the digits model was not recognized');
      set = known;
    });

    it.each([
      ['dynamic-int8', 3.5],
      ['static-int8', 3.3],
      ['fp16', 1.9],
    ] as const)(
      'runs in %s, at least %dx smaller, held-out accuracy within half a point',
      async (mode, ratio) => {
        const quantized = await quantizeModel(float, { mode, calibration: set.calibration, runtime });

        const agreement = await compareModels(await load(float), await load(quantized.bytes), set);

        expect(float.byteLength / quantized.bytes.byteLength).toBeGreaterThanOrEqual(ratio);
        expect(agreement.rows).toBe(359);
        expect(agreement.referenceAccuracy).toBeGreaterThanOrEqual(0.95);
        expect(agreement.candidateAccuracy).toBeGreaterThanOrEqual(
          (agreement.referenceAccuracy ?? 1) - 0.005,
        );
        expect(agreement.topOneAgreement).toBeGreaterThanOrEqual(0.99);
        // The training record survives, and the quantization is recorded next to it.
        const metadata = readModelMetadata(quantized.bytes);
        expect(metadata['training.seed']).toBe('42');
        expect(JSON.parse(metadata[QUANTIZATION_METADATA_KEY] ?? '{}')).toMatchObject({ mode });
      },
    );

    it('keeps FP32 inputs and outputs in fp16 mode', async () => {
      const quantized = await quantizeModel(float, { mode: 'fp16' });

      const schema = readOnnxSchema(quantized.bytes);
      expect(schema.inputs[0]?.datatype).toBe('FP32');
      expect(schema.outputs[0]?.datatype).toBe('FP32');
    });

    it('writes static-int8 in float-out form: QuantizeLinear then MatMulIntegerToFloat, no Gemm left', async () => {
      const quantized = await quantizeModel(float, {
        mode: 'static-int8',
        format: 'float-out',
        calibration: set.calibration,
        runtime,
      });

      const agreement = await compareModels(await load(float), await load(quantized.bytes), set);

      expect(quantized.format).toBe('float-out');
      expect(quantized.quantizedNodes).toEqual(['dense0', 'dense1', 'dense2']);
      // One static scale per Gemm input: the pixels and the two hidden activations.
      expect(quantized.calibratedTensors).toBe(3);
      expect(readOnnxSchema(quantized.bytes).operators).toEqual({
        QuantizeLinear: 3,
        'com.microsoft.MatMulIntegerToFloat': 3,
        Relu: 2,
        Softmax: 1,
      });
      expect(float.byteLength / quantized.bytes.byteLength).toBeGreaterThanOrEqual(3.5);
      expect(agreement.candidateAccuracy).toBeGreaterThanOrEqual((agreement.referenceAccuracy ?? 1) - 0.005);
      expect(agreement.topOneAgreement).toBeGreaterThanOrEqual(0.99);
      expect(agreement.maxAbsDiff).toBeLessThan(0.05);
      expect(JSON.parse(readModelMetadata(quantized.bytes)[QUANTIZATION_METADATA_KEY] ?? '{}')).toEqual({
        mode: 'static-int8',
        format: 'float-out',
        perChannel: true,
        quantizedNodes: 3,
        calibratedTensors: 3,
      });
    });

    it('writes the dynamic MatMul/Gemm as integer operators, as measured fastest', async () => {
      const quantized = await quantizeModel(float, { mode: 'dynamic-int8' });

      expect(quantized.format).toBe('mixed');
      expect(readOnnxSchema(quantized.bytes).operators).toMatchObject({
        DynamicQuantizeLinear: 3,
        MatMulInteger: 3,
      });
    });
  });

  it('stores per-channel scales that can be checked by hand', async () => {
    // y = x W with W [2, 2] = [[1, -3], [0.25, 4]]: columns peak at 1 and 4.
    const float = buildOnnxModel({
      opset: 13,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
      initializers: [
        { name: 'w', tensor: { datatype: 'FP32', shape: [2, 2], data: new Float32Array([1, -3, 0.25, 4]) } },
      ],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    });

    const quantized = await quantizeModel(float, { mode: 'dynamic-int8', format: 'qdq' });

    const initializers = initializerMap(decodeModel(quantized.bytes).graph);
    const scales = initializers.get('w_scale');
    const values = initializers.get('w_quantized');
    expect(Array.from(readFloats(scales ?? {}) ?? [])).toEqual([Math.fround(1 / 127), Math.fround(4 / 127)]);
    expect(Array.from(values?.rawData ?? [], (byte) => (byte << 24) >> 24)).toEqual([127, -95, 32, 127]);
    const model = await load(quantized.bytes);
    const { y } = await model.run({ x: { datatype: 'FP32', shape: [1, 2], data: new Float32Array([1, 1]) } });
    // Dequantized: [127/127 + 32/127, -95*4/127 + 127*4/127] = [1.252, 1.008]; the float answer is [1.25, 1].
    expect(Array.from(y?.data ?? [], Number)[0]).toBeCloseTo(159 / 127, 5);
    expect(Array.from(y?.data ?? [], Number)[1]).toBeCloseTo(128 / 127, 5);
  });

  it('raises an opset 9 graph to 13 without changing what it computes', async () => {
    const spec: ModelSpec = {
      opset: 9,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3, 4] }],
      outputs: [
        { name: 'clipped', datatype: 'FP32', shape: [2, 3, 4] },
        { name: 'sliced', datatype: 'FP32', shape: [2, 3, 2] },
        { name: 'soft', datatype: 'FP32', shape: [2, 3, 4] },
        { name: 'padded', datatype: 'FP32', shape: [2, 3, 6] },
        { name: 'squeezed', datatype: 'FP32', shape: [2, 3, 4] },
      ],
      nodes: [
        {
          op: 'Clip',
          inputs: ['x'],
          outputs: ['clipped'],
          attributes: { min: { float: -0.5 }, max: { float: 0.5 } },
        },
        {
          op: 'Slice',
          inputs: ['x'],
          outputs: ['sliced'],
          attributes: { starts: { ints: [1] }, ends: { ints: [3] }, axes: { ints: [2] } },
        },
        { op: 'Softmax', inputs: ['x'], outputs: ['soft'], attributes: { axis: { int: 1 } } },
        {
          op: 'Pad',
          inputs: ['x'],
          outputs: ['padded'],
          attributes: { pads: { ints: [0, 0, 1, 0, 0, 1] }, value: { float: 7 } },
        },
        { op: 'Unsqueeze', inputs: ['x'], outputs: ['expanded'], attributes: { axes: { ints: [0] } } },
        { op: 'Squeeze', inputs: ['expanded'], outputs: ['squeezed'], attributes: { axes: { ints: [0] } } },
      ],
    };
    const old = buildOnnxModel(spec);
    const { model } = decodeModel(old);
    expect(upgradeOpset(model)).toBe(true);
    const x = {
      datatype: 'FP32' as const,
      shape: [2, 3, 4],
      data: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)),
    };

    const before = await (await load(old)).run({ x });
    const after = await (await load(encodeModel(model))).run({ x });

    for (const name of ['clipped', 'sliced', 'soft', 'padded', 'squeezed']) {
      expect(after[name]?.shape).toEqual(before[name]?.shape);
      Array.from(after[name]?.data ?? [], Number).forEach((value, i) =>
        expect(value).toBeCloseTo(Number(before[name]?.data[i]), 6),
      );
    }
  });

  it('falls back to per-tensor scales, with a warning, when the opset cannot be raised', async () => {
    const float = buildOnnxModel({
      opset: 10,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }],
      outputs: [
        { name: 'top', datatype: 'FP32', shape: [1, 2] },
        { name: 'index', datatype: 'INT64', shape: [1, 2] },
      ],
      initializers: [
        {
          name: 'w',
          tensor: {
            datatype: 'FP32',
            shape: [4, 4],
            data: Float32Array.from({ length: 16 }, (_, i) => i / 8 - 1),
          },
        },
        { name: 'k', tensor: { datatype: 'INT64', shape: [1], data: BigInt64Array.of(2n) } },
      ],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
        { op: 'TopK', inputs: ['h', 'k'], outputs: ['top', 'index'] },
      ],
    });

    const quantized = await quantizeModel(float, { mode: 'dynamic-int8', format: 'qdq' });

    expect(quantized.perChannel).toBe(false);
    expect(quantized.opset).toEqual({ before: 10, after: 10 });
    expect(quantized.warnings).toEqual([
      'per-tensor scales: the model stays at opset 10 (operator TopK changed between opset 10 and 13)',
    ]);
    const { top } = await (
      await load(quantized.bytes)
    ).run({ x: { datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 0, 0, 1]) } });
    expect(top?.shape).toEqual([1, 2]);
  });

  describe('the float-out form on Gemm and MatMul variants', () => {
    // y = 0.5 * x W^T + 2 * c (Gemm with transB, alpha, beta), then z = y V with y of rank 3.
    const random = (count: number, seed: number): Float32Array =>
      Float32Array.from({ length: count }, (_, i) => Math.sin(seed * 7.3 + i * 1.7));
    const float = buildOnnxModel({
      opset: 13,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'z', datatype: 'FP32', shape: [1, -1, 3] }],
      initializers: [
        { name: 'w', tensor: { datatype: 'FP32', shape: [5, 4], data: random(20, 1) } },
        { name: 'c', tensor: { datatype: 'FP32', shape: [5], data: random(5, 2) } },
        { name: 'v', tensor: { datatype: 'FP32', shape: [5, 3], data: random(15, 3) } },
        { name: 'rank3', tensor: { datatype: 'INT64', shape: [3], data: new BigInt64Array([1n, -1n, 5n]) } },
      ],
      nodes: [
        {
          op: 'Gemm',
          name: 'gemm',
          inputs: ['x', 'w', 'c'],
          outputs: ['y'],
          attributes: { transB: { int: 1 }, alpha: { float: 0.5 }, beta: { float: 2 } },
        },
        { op: 'Reshape', inputs: ['y', 'rank3'], outputs: ['y3'] },
        { op: 'MatMul', name: 'matmul', inputs: ['y3', 'v'], outputs: ['z'] },
      ],
    });
    const x = (rows: number, seed: number): Float32Array => random(rows * 4, seed);
    const calibration = [10, 11, 12].map((seed) => ({
      x: { datatype: 'FP32' as const, shape: [8, 4], data: x(8, seed) },
    }));

    it.each([true, false])('computes what the float model does (per-channel %s)', async (perChannel) => {
      const quantized = await quantizeModel(float, {
        mode: 'static-int8',
        format: 'float-out',
        perChannel,
        calibration,
        runtime,
      });
      const probe = { x: { datatype: 'FP32' as const, shape: [6, 4], data: x(6, 20) } };

      const [expected, actual] = await Promise.all([
        (await load(float)).run(probe),
        (await load(quantized.bytes)).run(probe),
      ]);

      expect(quantized.quantizedNodes).toEqual(['gemm', 'matmul']);
      expect(readOnnxSchema(quantized.bytes).operators).toEqual({
        QuantizeLinear: 2,
        'com.microsoft.MatMulIntegerToFloat': 2,
        Reshape: 1,
      });
      expect(actual.z?.shape).toEqual([1, 6, 3]);
      const want = Array.from(expected.z?.data ?? [], Number);
      const got = Array.from(actual.z?.data ?? [], Number);
      const largest = Math.max(...want.map(Math.abs));
      got.forEach((value, i) => expect(Math.abs(value - (want[i] ?? NaN))).toBeLessThan(0.03 * largest));
    });

    it('adds a Gemm C that is not a constant after the integer product', async () => {
      const withInputC = buildOnnxModel({
        opset: 13,
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [2, 4] },
          { name: 'c', datatype: 'FP32', shape: [2, 5] },
        ],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 5] }],
        initializers: [{ name: 'w', tensor: { datatype: 'FP32', shape: [4, 5], data: random(20, 4) } }],
        nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'c'], outputs: ['y'], attributes: { beta: { float: 3 } } }],
      });
      const c = { datatype: 'FP32' as const, shape: [2, 5], data: random(10, 5) };
      const feeds = { x: { datatype: 'FP32' as const, shape: [2, 4], data: x(2, 6) }, c };

      const quantized = await quantizeModel(withInputC, {
        mode: 'static-int8',
        format: 'float-out',
        calibration: [feeds],
        runtime,
      });
      const [expected, actual] = await Promise.all([
        (await load(withInputC)).run(feeds),
        (await load(quantized.bytes)).run(feeds),
      ]);

      expect(readOnnxSchema(quantized.bytes).operators).toEqual({
        QuantizeLinear: 1,
        'com.microsoft.MatMulIntegerToFloat': 1,
        Mul: 1,
        Add: 1,
      });
      const want = Array.from(expected.y?.data ?? [], Number);
      Array.from(actual.y?.data ?? [], Number).forEach((value, i) =>
        expect(value).toBeCloseTo(want[i] ?? NaN, 1),
      );
    });
  });

  it.each([
    [
      'dynamic-int8',
      'float-out',
      "format: dynamic-int8 is written as 'qdq', 'integer', 'mixed', not 'float-out' (float-out needs calibrated input scales)",
    ],
    ['static-int8', 'mixed', "format: static-int8 is written as 'qdq', 'float-out', not 'mixed'"],
  ] as const)('refuses %s in the %s format', async (mode, format, message) => {
    const float = buildOnnxModel({
      opset: 13,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }],
      initializers: [{ name: 'w', tensor: { datatype: 'FP32', shape: [2, 2], data: new Float32Array(4) } }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    const calibration = [{ x: { datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array(2) } }];

    await expect(quantizeModel(float, { mode, format, calibration, runtime })).rejects.toThrow(
      new QuantizeError('invalid_option', message),
    );
  });

  it('needs calibration data for static-int8', async () => {
    const float = readFileSync(pretrainedFile(PRETRAINED.textDirection));

    await expect(quantizeModel(float, { mode: 'static-int8' })).rejects.toThrow(
      new QuantizeError('invalid_option', 'calibration: static-int8 needs at least one calibration sample'),
    );
  });

  it('quantizes the PaddleOCR text-direction classifier (opset 9, weights in Constant nodes)', async () => {
    const float = readFileSync(pretrainedFile(PRETRAINED.textDirection));
    const set = textLineEvaluationSet({ validation: 40, batch: 20 });

    const quantized = await quantizeModel(float, { mode: 'dynamic-int8' });
    const agreement = await compareModels(await load(float), await load(quantized.bytes), set);

    expect(quantized.opset).toEqual({ before: 9, after: 13 });
    expect(quantized.foldedBatchNorms).toBe(35);
    expect(quantized.quantizedNodes).toHaveLength(54);
    expect(float.byteLength / quantized.bytes.byteLength).toBeGreaterThan(3);
    expect(agreement.rows).toBe(40);
    expect(agreement.topOneAgreement).toBeGreaterThanOrEqual(0.95);
  });

  it('leaves the nodes named in excludeNodes in float', async () => {
    const float = readFileSync(pretrainedFile(PRETRAINED.textDirection));
    const excludeNodes = ['p2o.Conv.0', 'p2o.MatMul.0'];

    const quantized = await quantizeModel(float, { mode: 'dynamic-int8', excludeNodes });

    expect(quantized.quantizedNodes).toHaveLength(52);
    expect(quantized.quantizedNodes).not.toEqual(expect.arrayContaining(['p2o.Conv.0']));
    expect(quantized.quantizedNodes).not.toEqual(expect.arrayContaining(['p2o.MatMul.0']));
    const { graph } = decodeModel(quantized.bytes);
    const initializers = initializerMap(graph);
    for (const name of excludeNodes) {
      const node = (graph.node ?? []).find((candidate) => candidate.name === name);
      expect(node?.opType).toBe(name === 'p2o.Conv.0' ? 'Conv' : 'MatMul');
      // The weight is still a float initializer, not the output of a DequantizeLinear.
      expect(initializers.get(node?.input?.[1] ?? '')?.dataType).toBe(1);
    }
    const quantizedConv = (graph.node ?? []).find((node) => node.name === 'p2o.Conv.1');
    expect(initializers.has(quantizedConv?.input?.[1] ?? '')).toBe(false);
  });

  it('refuses to exclude a node that is not a quantizable Conv, MatMul or Gemm', async () => {
    const float = readFileSync(pretrainedFile(PRETRAINED.textDirection));

    await expect(
      quantizeModel(float, { mode: 'dynamic-int8', excludeNodes: ['p2o.Conv.0', 'p2o.Softmax.0'] }),
    ).rejects.toThrow(
      new QuantizeError(
        'invalid_option',
        "exclude: no Conv, MatMul or Gemm node with float weights is named 'p2o.Softmax.0'",
      ),
    );
  });

  it('validates the text-direction classifier on rendered lines, half upside down, apart from calibration', async () => {
    const float = readFileSync(pretrainedFile(PRETRAINED.textDirection));
    const set = await renderedTextLineEvaluationSet({ validation: 40, calibration: 4, batch: 20 });

    expect(set.validation.map((feeds) => feeds.x?.shape)).toEqual([
      [20, 3, 48, 192],
      [20, 3, 48, 192],
    ]);
    expect(Array.from(set.labels ?? [])).toEqual(Array.from({ length: 40 }, (_, i) => i % 2));
    const firstValidation = set.validation[0]?.x?.data.slice(0, 3 * 48 * 192);
    for (const sample of set.calibration) expect(sample.x?.data).not.toEqual(firstValidation);
    const quantized = await quantizeModel(float, { mode: 'dynamic-int8' });
    const agreement = await compareModels(await load(float), await load(quantized.bytes), set);
    // The float classifier reads rendered text well, unlike the bitmap-font lines.
    expect(agreement.referenceAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(agreement.topOneAgreement).toBeGreaterThanOrEqual(0.95);
  });
});
