/**
 * Writes the tiny ONNX models the tests use to `test/fixtures/models/`. The files are
 * checked in; rerun after changing a model here:
 *
 *   npx tsx models/onnx/build-fixtures.ts
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATATYPES } from '../../functions/core/tensors/datatypes';
import { buildOnnxModel, type ModelSpec } from './builder';

const OUT_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'models');
const REJECTED_DIR = join(OUT_DIR, 'rejected');

/** The fixture models, by file name. */
export const FIXTURES: Readonly<Record<string, ModelSpec>> = {
  /** One Identity per datatype: `in_<type>` to `out_<type>`, both of shape [-1, -1]. */
  'identity-all-types.onnx': {
    name: 'identity_all_types',
    inputs: DATATYPES.map((datatype) => ({
      name: `in_${datatype.toLowerCase()}`,
      datatype,
      shape: [-1, -1],
    })),
    outputs: DATATYPES.map((datatype) => ({
      name: `out_${datatype.toLowerCase()}`,
      datatype,
      shape: [-1, -1],
    })),
    nodes: DATATYPES.map((datatype) => ({
      op: 'Identity',
      inputs: [`in_${datatype.toLowerCase()}`],
      outputs: [`out_${datatype.toLowerCase()}`],
    })),
  },
  /** `sum = a + b` and `product = a * b` over FP32 of shape [batch, 3]. */
  'add-mul.onnx': {
    name: 'add_mul',
    inputs: [
      { name: 'a', datatype: 'FP32', shape: ['batch', 3] },
      { name: 'b', datatype: 'FP32', shape: ['batch', 3] },
    ],
    outputs: [
      { name: 'sum', datatype: 'FP32', shape: ['batch', 3] },
      { name: 'product', datatype: 'FP32', shape: ['batch', 3] },
    ],
    nodes: [
      { op: 'Add', inputs: ['a', 'b'], outputs: ['sum'] },
      { op: 'Mul', inputs: ['a', 'b'], outputs: ['product'] },
    ],
  },
  /** `y = x * 2` over an FP32 scalar. */
  'scalar.onnx': {
    name: 'scalar',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [] }],
    initializers: [{ name: 'two', tensor: { datatype: 'FP32', shape: [], data: new Float32Array([2]) } }],
    nodes: [{ op: 'Mul', inputs: ['x', 'two'], outputs: ['y'] }],
  },
};

/** A 1x1 transparent PNG. */
const PNG_1X1 =
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d4944415478da63f8cfc0f01f0005000201e2bf2e8c0000000049454e44ae426082';

/**
 * Files the registration gate must refuse (`test/integration/platform/registration.test.ts`),
 * by file name under `test/fixtures/models/rejected/`.
 */
export const REJECTED_FIXTURES: Readonly<Record<string, () => Uint8Array>> = {
  'empty.onnx': () => new Uint8Array(0),
  /** add-mul.onnx cut after 120 of its bytes. */
  'truncated.onnx': () => addMul().subarray(0, 120),
  /** add-mul.onnx with 4 bytes of its graph overwritten: the output `product` loses its producer. */
  'corrupt.onnx': () => {
    const bytes = addMul().slice();
    bytes.fill(0xff, 60, 64);
    return bytes;
  },
  'image.png': () => Buffer.from(PNG_1X1, 'hex'),
  'notes.txt': () => new TextEncoder().encode('This is the model, I promise.\nweights: 0.1 0.2 0.3\n'),
  /** An operator of a custom domain that no runtime of the platform implements. */
  'custom-operator.onnx': () =>
    buildOnnxModel({
      name: 'custom_operator',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['batch', 3] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['batch', 3] }],
      nodes: [{ op: 'Frobnicate', domain: 'com.example', inputs: ['x'], outputs: ['y'] }],
      domainOpsets: { 'com.example': 1 },
    }),
  /** A Relu stamped with opset 30, which no released onnxruntime knows. */
  'future-opset.onnx': () =>
    buildOnnxModel({
      name: 'future_opset',
      opset: 30,
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['batch', 3] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['batch', 3] }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    }),
  /** Loads (the batch is dynamic), but reshaping [1, 5] to [2, 3] fails on every input. */
  'run-fails.onnx': () =>
    buildOnnxModel({
      name: 'run_fails',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['batch', 5] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 3] }],
      initializers: [
        { name: 'target', tensor: { datatype: 'INT64', shape: [2], data: new BigInt64Array([2n, 3n]) } },
      ],
      nodes: [{ op: 'Reshape', inputs: ['x', 'target'], outputs: ['y'] }],
    }),
  /** Declares `y` as [batch, 4] but passes its input [batch, n] through. */
  'output-mismatch.onnx': () =>
    buildOnnxModel({
      name: 'output_mismatch',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['batch', 'n'] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['batch', 4] }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    }),
};

function addMul(): Uint8Array {
  const spec = FIXTURES['add-mul.onnx'];
  if (spec === undefined) throw new Error('add-mul.onnx is not a fixture');
  return buildOnnxModel(spec);
}

async function main(): Promise<void> {
  await mkdir(REJECTED_DIR, { recursive: true });
  for (const [file, spec] of Object.entries(FIXTURES)) {
    const bytes = buildOnnxModel(spec);
    await writeFile(join(OUT_DIR, file), bytes);
    console.log(`${file}: ${bytes.byteLength} bytes`);
  }
  for (const [file, build] of Object.entries(REJECTED_FIXTURES)) {
    const bytes = build();
    await writeFile(join(REJECTED_DIR, file), bytes);
    console.log(`rejected/${file}: ${bytes.byteLength} bytes`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
