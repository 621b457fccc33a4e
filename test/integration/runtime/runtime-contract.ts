import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestError, InfergateError } from '../../../functions/core/errors';
import type { LoadedModel, ModelRuntime } from '../../../functions/core/runtime/model-runtime';
import { readOnnxSchema } from '../../../functions/core/runtime/onnx-schema';
import { DATATYPES, type Datatype } from '../../../functions/core/tensors/datatypes';
import { decodeInferRequest, encodeInferResponse } from '../../../functions/core/tensors/oip-codec';
import { buildOnnxModel } from '../../../models/onnx/builder';

/**
 * What every `ModelRuntime` over onnxruntime must do, run against the real runtimes on the
 * fixture models. Each runtime has its own test file, so each gets a fresh onnxruntime.
 */

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'models');
export const CLASSIFIER_PATH = join(
  __dirname,
  '..',
  '..',
  '..',
  'node_modules',
  '@gutenye',
  'ocr-models',
  'assets',
  'ch_ppocr_mobile_v2.0_cls_infer.onnx',
);

export function fixture(file: string): Uint8Array {
  return readFileSync(join(FIXTURES, file));
}

/** Values of each datatype that a client sends, and what comes back through Identity. */
const EDGE_VALUES: Record<Datatype, { sent: unknown[]; answered: unknown[] }> = {
  BOOL: { sent: [true, false, false, true], answered: [true, false, false, true] },
  UINT8: { sent: [0, 1, 254, 255], answered: [0, 1, 254, 255] },
  UINT16: { sent: [0, 1, 65534, 65535], answered: [0, 1, 65534, 65535] },
  UINT32: { sent: [0, 1, 4294967294, 4294967295], answered: [0, 1, 4294967294, 4294967295] },
  UINT64: {
    sent: [0, 9007199254740991, '9007199254740993', '18446744073709551615'],
    answered: [0, 9007199254740991, '9007199254740993', '18446744073709551615'],
  },
  INT8: { sent: [-128, -1, 0, 127], answered: [-128, -1, 0, 127] },
  INT16: { sent: [-32768, -1, 0, 32767], answered: [-32768, -1, 0, 32767] },
  INT32: { sent: [-2147483648, -1, 0, 2147483647], answered: [-2147483648, -1, 0, 2147483647] },
  INT64: {
    sent: ['-9223372036854775808', -9007199254740991, 0, '9223372036854775807'],
    answered: ['-9223372036854775808', -9007199254740991, 0, '9223372036854775807'],
  },
  FP16: { sent: [0.1, 65504, 'NaN', '-Infinity'], answered: [0.0999755859375, 65504, 'NaN', '-Infinity'] },
  FP32: { sent: [0.5, -1.25, 'NaN', 'Infinity'], answered: [0.5, -1.25, 'NaN', 'Infinity'] },
  FP64: { sent: [0.1, -1e-300, 'NaN', '-Infinity'], answered: [0.1, -1e-300, 'NaN', '-Infinity'] },
  BYTES: { sent: ['héllo', '😀', '', 'a b'], answered: ['héllo', '😀', '', 'a b'] },
};

/** Decodes `body` against the model, runs it, and encodes the response like the platform does. */
export async function infer(
  model: LoadedModel,
  body: unknown,
): Promise<ReturnType<typeof encodeInferResponse>> {
  const request = decodeInferRequest(body, model.inputs, model.outputs);
  const outputs = await model.run(request.inputs, request.outputNames);
  const order = request.outputNames ?? model.outputs.map((output) => output.name);
  return encodeInferResponse({ modelName: 'm', modelVersion: '1', outputs, order });
}

async function rejectionOf(promise: Promise<unknown>): Promise<InfergateError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InfergateError) return error;
    throw error;
  }
  throw new Error('expected an InfergateError');
}

/** Registers the shared tests of a runtime. */
export function describeRuntimeContract(name: string, createRuntime: () => Promise<ModelRuntime>): void {
  describe(`${name} (ModelRuntime contract)`, () => {
    let runtime: ModelRuntime;
    const loaded: LoadedModel[] = [];
    const load = async (bytes: Uint8Array): Promise<LoadedModel> => {
      const model = await runtime.load(bytes);
      loaded.push(model);
      return model;
    };

    beforeAll(async () => {
      runtime = await createRuntime();
    });

    afterAll(async () => {
      await Promise.all(loaded.map((model) => model.release()));
    });

    it('reads inputs and outputs from the session, dynamic dimensions as -1', async () => {
      const model = await load(fixture('identity-all-types.onnx'));

      expect(model.inputs).toEqual(
        DATATYPES.map((datatype) => ({ name: `in_${datatype.toLowerCase()}`, datatype, shape: [-1, -1] })),
      );
      expect(model.outputs.map((output) => output.datatype)).toEqual([...DATATYPES]);
      expect(model.sizeBytes).toBe(fixture('identity-all-types.onnx').byteLength);
    });

    it('round-trips all 13 datatypes through decode, Identity and encode', async () => {
      const model = await load(fixture('identity-all-types.onnx'));
      const body = {
        inputs: DATATYPES.map((datatype) => ({
          name: `in_${datatype.toLowerCase()}`,
          datatype,
          shape: [2, 2],
          data: EDGE_VALUES[datatype].sent,
        })),
      };

      const response = await infer(model, body);

      expect(response.outputs).toEqual(
        DATATYPES.map((datatype) => ({
          name: `out_${datatype.toLowerCase()}`,
          datatype,
          shape: [2, 2],
          data: EDGE_VALUES[datatype].answered,
        })),
      );
    });

    it('round-trips empty tensors of all 13 datatypes', async () => {
      const model = await load(fixture('identity-all-types.onnx'));
      const body = {
        inputs: DATATYPES.map((datatype) => ({
          name: `in_${datatype.toLowerCase()}`,
          datatype,
          shape: [0, 3],
          data: [],
        })),
      };

      const response = await infer(model, body);

      expect(response.outputs.map((output) => [output.shape, output.data])).toEqual(
        DATATYPES.map(() => [[0, 3], []]),
      );
    });

    it('adds and multiplies, returning only the requested outputs', async () => {
      const model = await load(fixture('add-mul.onnx'));
      const a = [1, 2, 3, 4, 5, 6];
      const b = [0.5, -1, 2, 10, 0, -3];

      const all = await infer(model, {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2, 3], data: a },
          { name: 'b', datatype: 'FP32', shape: [2, 3], data: b },
        ],
      });
      const productOnly = await infer(model, {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2, 3], data: a },
          { name: 'b', datatype: 'FP32', shape: [2, 3], data: b },
        ],
        outputs: [{ name: 'product' }],
      });

      expect(model.inputs).toEqual([
        { name: 'a', datatype: 'FP32', shape: [-1, 3] },
        { name: 'b', datatype: 'FP32', shape: [-1, 3] },
      ]);
      expect(all.outputs).toEqual([
        { name: 'sum', datatype: 'FP32', shape: [2, 3], data: [1.5, 1, 5, 14, 5, 3] },
        { name: 'product', datatype: 'FP32', shape: [2, 3], data: [0.5, -2, 6, 40, 0, -18] },
      ]);
      expect(productOnly.outputs.map((output) => output.name)).toEqual(['product']);
    });

    it('runs a scalar model', async () => {
      const model = await load(fixture('scalar.onnx'));

      const response = await infer(model, {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [], data: 3.5 }],
      });

      expect(model.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [] }]);
      expect(response.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [], data: [7] }]);
    });

    it('serves concurrent runs on one model', async () => {
      const model = await load(fixture('add-mul.onnx'));
      const run = (value: number): ReturnType<typeof infer> =>
        infer(model, {
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [1, 3], data: [value, value, value] },
            { name: 'b', datatype: 'FP32', shape: [1, 3], data: [1, 1, 1] },
          ],
          outputs: [{ name: 'sum' }],
        });

      const responses = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(run));

      expect(responses.map((response) => response.outputs[0]?.data[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('turns inputs the graph refuses into inference_failed', async () => {
      const model = await load(fixture('add-mul.onnx'));

      const error = await rejectionOf(
        infer(model, {
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
            { name: 'b', datatype: 'FP32', shape: [4, 3], data: new Array(12).fill(1) },
          ],
        }),
      );

      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.code).toBe('inference_failed');
      expect(error.message).toMatch(
        /^the model cannot run on these inputs: .*Attempting to broadcast an axis by a dimension other than 1\. 2 by 4$/,
      );
      expect(error.message).not.toMatch(/\.h:\d+|onnxruntime_src|ERROR_CODE/);
    });

    it.each([
      ['garbage bytes', new TextEncoder().encode('not a model')],
      [
        'an unknown operator',
        buildOnnxModel({
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }],
          outputs: [{ name: 'y', datatype: 'FP32', shape: [1] }],
          nodes: [{ op: 'NoSuchOperator', inputs: ['x'], outputs: ['y'] }],
        }),
      ],
    ])('refuses to load %s with model_load_failed', async (_label, bytes) => {
      const error = await rejectionOf(runtime.load(bytes));

      expect(error.status).toBe(502);
      expect(error.code).toBe('model_load_failed');
      expect(error.message).toMatch(/^onnxruntime could not load the model: /);
    });

    it('loads the PaddleOCR text direction classifier and classifies an image', async () => {
      const bytes = readFileSync(CLASSIFIER_PATH);
      const model = await load(bytes);
      const image = Array.from({ length: 3 * 48 * 192 }, (_, i) => Math.sin(i / 50));

      const response = await infer(model, {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: image }],
      });

      expect(model.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }]);
      expect(model.outputs).toEqual([{ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [-1, 2] }]);
      const schema = readOnnxSchema(bytes);
      expect(schema.inputs).toEqual(model.inputs);
      expect(schema.outputs).toEqual(model.outputs);
      const [output] = response.outputs;
      expect(output?.shape).toEqual([1, 2]);
      const probabilities = (output?.data ?? []).map(Number);
      expect(probabilities[0]).toBeGreaterThanOrEqual(0);
      expect((probabilities[0] ?? 0) + (probabilities[1] ?? 0)).toBeCloseTo(1, 5);
    });
  });
}
