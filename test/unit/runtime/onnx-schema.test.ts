import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { BadRequestError } from '../../../functions/core/errors';
import { readOnnxSchema } from '../../../functions/core/runtime/onnx-schema';
import { DATATYPES } from '../../../functions/core/tensors/datatypes';
import { buildOnnxModel, createModelProto, type ModelSpec } from '../../../models/onnx/builder';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'models');

function rejection(fn: () => unknown): BadRequestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BadRequestError) return error;
    throw error;
  }
  throw new Error('expected a BadRequestError');
}

const identity: ModelSpec = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: ['batch', -1, 3] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: ['batch', -1, 3] }],
  nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
};

describe('readOnnxSchema', () => {
  it('reads inputs, outputs, opset, producer and operators of a model file', () => {
    const schema = readOnnxSchema(readFileSync(join(FIXTURES, 'add-mul.onnx')));

    expect(schema).toEqual({
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [-1, 3] },
        { name: 'b', datatype: 'FP32', shape: [-1, 3] },
      ],
      outputs: [
        { name: 'sum', datatype: 'FP32', shape: [-1, 3] },
        { name: 'product', datatype: 'FP32', shape: [-1, 3] },
      ],
      opset: 17,
      producer: 'infergate',
      nodeCount: 2,
      operators: { Add: 1, Mul: 1 },
      dimNames: {
        a: ['batch', undefined],
        b: ['batch', undefined],
        sum: ['batch', undefined],
        product: ['batch', undefined],
      },
    });
  });

  it('names the symbolic dimensions of inputs and outputs, and leaves out outputs of unknown rank', () => {
    const bytes = buildOnnxModel({
      inputs: [
        { name: 'x', datatype: 'FP32', shape: ['batch', -1, 3] },
        { name: 'w', datatype: 'FP32', shape: [3] },
      ],
      outputs: [
        { name: 'y', datatype: 'FP32', shape: ['batch', -1, 3] },
        { name: 'z', datatype: 'FP32' },
      ],
      initializers: [
        { name: 'w', tensor: { datatype: 'FP32', shape: [3], data: new Float32Array([1, 2, 3]) } },
      ],
      nodes: [
        { op: 'Add', inputs: ['x', 'w'], outputs: ['y'] },
        { op: 'Identity', inputs: ['y'], outputs: ['z'] },
      ],
    });

    expect(readOnnxSchema(bytes).dimNames).toEqual({
      x: ['batch', undefined, undefined],
      y: ['batch', undefined, undefined],
    });
  });

  it('maps the 13 ONNX element types to datatypes', () => {
    const schema = readOnnxSchema(readFileSync(join(FIXTURES, 'identity-all-types.onnx')));

    expect(schema.inputs.map((input) => input.datatype)).toEqual([...DATATYPES]);
    expect(schema.outputs.map((output) => output.name)).toEqual(
      DATATYPES.map((d) => `out_${d.toLowerCase()}`),
    );
    expect(schema.operators).toEqual({ Identity: 13 });
  });

  it('keeps fixed dimensions and scalars', () => {
    const schema = readOnnxSchema(readFileSync(join(FIXTURES, 'scalar.onnx')));

    expect(schema.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [] }]);
    expect(readOnnxSchema(buildOnnxModel(identity)).inputs[0]?.shape).toEqual([-1, -1, 3]);
  });

  it('leaves out graph inputs that are initializers', () => {
    const bytes = buildOnnxModel({
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [3] },
        { name: 'w', datatype: 'FP32', shape: [3] },
      ],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [3] }],
      initializers: [
        { name: 'w', tensor: { datatype: 'FP32', shape: [3], data: new Float32Array([1, 2, 3]) } },
      ],
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
    });

    expect(readOnnxSchema(bytes).inputs.map((input) => input.name)).toEqual(['x']);
  });

  it('counts nodes of subgraphs and prefixes custom domains', () => {
    const branch = (value: number): ModelSpec => ({
      inputs: [],
      outputs: [{ name: `out_${value}`, datatype: 'FP32', shape: [1] }],
      nodes: [
        {
          op: 'Constant',
          inputs: [],
          outputs: [`out_${value}`],
          attributes: {
            value: { tensor: { datatype: 'FP32', shape: [1], data: new Float32Array([value]) } },
          },
        },
      ],
    });
    const bytes = buildOnnxModel({
      domainOpsets: { 'com.microsoft': 1 },
      inputs: [{ name: 'c', datatype: 'BOOL', shape: [] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [1] }],
      nodes: [
        {
          op: 'If',
          inputs: ['c'],
          outputs: ['t'],
          attributes: { then_branch: { graph: branch(1) }, else_branch: { graph: branch(2) } },
        },
        { op: 'Gelu', domain: 'com.microsoft', inputs: ['t'], outputs: ['y'] },
      ],
    });

    const schema = readOnnxSchema(bytes);

    expect(schema.nodeCount).toBe(4);
    expect(schema.operators).toEqual({ If: 1, Constant: 2, 'com.microsoft.Gelu': 1 });
  });

  it('reports an output of unknown rank as one dynamic dimension', () => {
    const bytes = buildOnnxModel({ ...identity, outputs: [{ name: 'y', datatype: 'FP32' }] });

    expect(readOnnxSchema(bytes).outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [-1] }]);
  });

  it.each<[string, () => Uint8Array, RegExp]>([
    [
      'a BFLOAT16 input',
      () => {
        const proto = createModelProto(identity);
        const type = proto.graph?.input?.[0]?.type?.tensorType;
        if (type) type.elemType = onnx.TensorProto.DataType.BFLOAT16;
        return onnx.ModelProto.encode(proto).finish();
      },
      /the model cannot be served: input 'x' has datatype BFLOAT16, which the Open Inference Protocol cannot carry/,
    ],
    [
      'a sequence output',
      () => {
        const proto = createModelProto(identity);
        const output = proto.graph?.output?.[0];
        if (output) output.type = { sequenceType: { elemType: { tensorType: { elemType: 1 } } } };
        return onnx.ModelProto.encode(proto).finish();
      },
      /output 'y' is not a tensor \(sequences, maps and optionals are not served\)/,
    ],
    [
      'an input of unknown rank',
      () => buildOnnxModel({ ...identity, inputs: [{ name: 'x', datatype: 'FP32' }] }),
      /input 'x' has no declared shape \(unknown rank\)/,
    ],
  ])('refuses %s as unsupported_model', (_label, bytes, message) => {
    const error = rejection(() => readOnnxSchema(bytes()));

    expect(error.code).toBe('unsupported_model');
    expect(error.message).toMatch(message);
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['empty bytes', new Uint8Array(0), /the model file is not a valid ONNX model: the file is empty/],
    ['text', new TextEncoder().encode('hello, this is not a model'), /not a valid ONNX/],
    [
      'a truncated model',
      readFileSync(join(FIXTURES, 'add-mul.onnx')).subarray(0, 120),
      /not a valid ONNX protobuf/,
    ],
    [
      'random bytes',
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      /not a valid ONNX/,
    ],
    ['a model without graph', onnx.ModelProto.encode({ irVersion: 8 }).finish(), /no IR version or no graph/],
    ['a graph without outputs', buildOnnxModel({ ...identity, outputs: [] }), /its graph has no outputs/],
  ])('refuses %s as invalid_model', (_label, bytes, message) => {
    const error = rejection(() => readOnnxSchema(bytes));

    expect(error.code).toBe('invalid_model');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });
});
