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

async function main(): Promise<void> {
  await mkdir(OUT_DIR, { recursive: true });
  for (const [file, spec] of Object.entries(FIXTURES)) {
    const bytes = buildOnnxModel(spec);
    await writeFile(join(OUT_DIR, file), bytes);
    console.log(`${file}: ${bytes.byteLength} bytes`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
