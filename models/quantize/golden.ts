/**
 * The quantizer's golden fixture: a tiny CNN in the style of exported models (weights in
 * Constant nodes, BatchNormalization after Conv, Clip with attribute bounds at opset 9),
 * and the expected result of quantizing it in every mode. The files are checked in under
 * `test/fixtures/models/quantize/`; regenerate them deliberately after changing the
 * quantizer, and review the diff of `expected.json`:
 *
 *   npx tsx models/quantize/golden.ts
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WasmRuntime } from '../../functions/adapters/onnx/wasm-runtime';
import type { ModelRuntime } from '../../functions/core/runtime/model-runtime';
import type { Tensor } from '../../functions/core/tensors/tensor';
import { buildOnnxModel, type NodeSpec } from '../onnx/builder';
import { createRandom } from '../recipes/random';
import type { Feeds } from './calibrate';
import { summarizeGraph, type GraphSummary } from './graph-summary';
import { QUANTIZE_MODES, quantizeModel, type Int8Format, type QuantizeMode } from './quantize-model';

/** Where the fixture and its expectations live. */
export const GOLDEN_DIR = path.join(__dirname, '..', '..', 'test', 'fixtures', 'models', 'quantize');
/** The float fixture model, in {@link GOLDEN_DIR}. */
export const GOLDEN_MODEL_FILE = 'tiny-cnn.onnx';
/** Expected hashes, graph summaries and outputs per mode, in {@link GOLDEN_DIR}. */
export const GOLDEN_EXPECTED_FILE = 'expected.json';

function constant(name: string, shape: number[], data: Float32Array): NodeSpec {
  return {
    op: 'Constant',
    inputs: [],
    outputs: [name],
    attributes: { value: { tensor: { datatype: 'FP32', shape, data } } },
  };
}

/** The float model: x [N,1,4,4] -> Conv 3x3 (2 channels) -> BN -> Clip(0,6) -> Flatten -> Gemm(3) -> Softmax. */
export function goldenModel(): Uint8Array {
  const random = createRandom(2024);
  const values = (count: number, scale: (i: number) => number): Float32Array =>
    Float32Array.from(
      { length: count },
      (_, i) => Math.round((random.next() * 2 - 1) * scale(i) * 1000) / 1000,
    );
  // Channel 1 has ten times the weights of channel 0: per-channel scales matter.
  const convWeights = values(18, (i) => (i < 9 ? 0.5 : 5));
  return buildOnnxModel({
    name: 'tiny_cnn',
    opset: 9,
    inputs: [{ name: 'x', datatype: 'FP32', shape: ['batch', 1, 4, 4] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: ['batch', 3] }],
    nodes: [
      constant('conv.w', [2, 1, 3, 3], convWeights),
      constant('bn.scale', [2], new Float32Array([1.5, 0.25])),
      constant('bn.bias', [2], new Float32Array([0.1, -0.2])),
      constant('bn.mean', [2], new Float32Array([0.05, 1])),
      constant('bn.var', [2], new Float32Array([0.5, 4])),
      constant(
        'fc.w',
        [32, 3],
        values(96, () => 0.4),
      ),
      constant('fc.b', [3], new Float32Array([0.1, 0, -0.1])),
      {
        op: 'Conv',
        name: 'conv',
        inputs: ['x', 'conv.w'],
        outputs: ['conv.out'],
        attributes: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } },
      },
      {
        op: 'BatchNormalization',
        name: 'bn',
        inputs: ['conv.out', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'],
        outputs: ['bn.out'],
        attributes: { epsilon: { float: 1e-5 } },
      },
      {
        op: 'Clip',
        name: 'relu6',
        inputs: ['bn.out'],
        outputs: ['act'],
        attributes: { min: { float: 0 }, max: { float: 6 } },
      },
      {
        op: 'Flatten',
        name: 'flatten',
        inputs: ['act'],
        outputs: ['flat'],
        attributes: { axis: { int: 1 } },
      },
      { op: 'Gemm', name: 'fc', inputs: ['flat', 'fc.w', 'fc.b'], outputs: ['logits'] },
      {
        op: 'Softmax',
        name: 'softmax',
        inputs: ['logits'],
        outputs: ['y'],
        attributes: { axis: { int: 1 } },
      },
    ],
  });
}

/** Inputs FP32 [rows, 1, 4, 4] in [0, 1] from a seed. */
export function goldenInput(rows: number, seed: number): Tensor {
  const random = createRandom(seed);
  return {
    datatype: 'FP32',
    shape: [rows, 1, 4, 4],
    data: Float32Array.from({ length: rows * 16 }, () => random.next()),
  };
}

/** Calibration samples of the golden test: 8 samples of 4 rows. */
export function goldenCalibration(): Feeds[] {
  return Array.from({ length: 8 }, (_, i) => ({ x: goldenInput(4, 100 + i) }));
}

/** The input the expected outputs are for. */
export function goldenProbe(): Feeds {
  return { x: goldenInput(4, 7) };
}

/** What `expected.json` holds per mode. */
export interface GoldenExpectation {
  readonly sha256: string;
  readonly bytes: number;
  readonly summary: GraphSummary;
  /** Output `y` on the probe input, from onnxruntime-web. */
  readonly output: number[];
}

/** Forms checked besides each mode's default, by `<mode>/<format>`. */
export const GOLDEN_FORMATS = {
  'static-int8/float-out': { mode: 'static-int8', format: 'float-out' },
} as const satisfies Record<string, { mode: QuantizeMode; format: Int8Format }>;
export type GoldenFormat = keyof typeof GOLDEN_FORMATS;

/** The whole of `expected.json`. */
export interface GoldenExpected {
  readonly float: { readonly sha256: string; readonly output: number[] };
  readonly modes: Readonly<Record<QuantizeMode, GoldenExpectation>>;
  readonly formats: Readonly<Record<GoldenFormat, GoldenExpectation>>;
}

/** Hex SHA-256 of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Quantizes the golden model in one mode (and format), with the golden calibration data. */
export async function quantizeGolden(
  mode: QuantizeMode,
  runtime: ModelRuntime,
  format?: Int8Format,
): Promise<Uint8Array> {
  const { bytes } = await quantizeModel(goldenModel(), {
    mode,
    calibration: goldenCalibration(),
    runtime,
    ...(format === undefined ? {} : { format }),
  });
  return bytes;
}

async function outputOf(runtime: ModelRuntime, bytes: Uint8Array): Promise<number[]> {
  const model = await runtime.load(bytes);
  try {
    const { y } = await model.run(goldenProbe());
    if (!(y?.data instanceof Float32Array)) throw new Error('the golden model did not return FP32 y');
    return Array.from(y.data);
  } finally {
    await model.release();
  }
}

async function main(): Promise<void> {
  const runtime = await WasmRuntime.create();
  const model = goldenModel();
  const expectation = async (bytes: Uint8Array): Promise<GoldenExpectation> => ({
    sha256: sha256(bytes),
    bytes: bytes.byteLength,
    summary: summarizeGraph(bytes),
    output: await outputOf(runtime, bytes),
  });
  const modes: Partial<Record<QuantizeMode, GoldenExpectation>> = {};
  for (const mode of QUANTIZE_MODES) modes[mode] = await expectation(await quantizeGolden(mode, runtime));
  const formats: Partial<Record<GoldenFormat, GoldenExpectation>> = {};
  for (const [name, { mode, format }] of Object.entries(GOLDEN_FORMATS)) {
    formats[name as GoldenFormat] = await expectation(await quantizeGolden(mode, runtime, format));
  }
  const expected = {
    float: { sha256: sha256(model), output: await outputOf(runtime, model) },
    modes,
    formats,
  };
  await mkdir(GOLDEN_DIR, { recursive: true });
  await writeFile(path.join(GOLDEN_DIR, GOLDEN_MODEL_FILE), model);
  await writeFile(path.join(GOLDEN_DIR, GOLDEN_EXPECTED_FILE), `${JSON.stringify(expected, null, 2)}\n`);
  console.log(
    `wrote ${GOLDEN_MODEL_FILE} (${model.byteLength} bytes) and ${GOLDEN_EXPECTED_FILE} to ${GOLDEN_DIR}`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
