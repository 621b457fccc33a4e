import { BadRequestError } from '../../../functions/core/errors';
import { DATATYPES, type Datatype, type TensorSpec } from '../../../functions/core/tensors/datatypes';
import {
  MAX_REQUEST_ELEMENTS,
  decodeInferRequest,
  encodeInferResponse,
} from '../../../functions/core/tensors/oip-codec';
import type { Tensor } from '../../../functions/core/tensors/tensor';

const ANY_2D = [-1, -1];

/** Edge values of each datatype as a client sends them, and as the platform answers them. */
const ROUND_TRIP: Record<Datatype, { sent: unknown[]; answered: unknown[] }> = {
  BOOL: { sent: [true, false], answered: [true, false] },
  UINT8: { sent: [0, 255], answered: [0, 255] },
  UINT16: { sent: [0, 65535], answered: [0, 65535] },
  UINT32: { sent: [0, 4294967295], answered: [0, 4294967295] },
  UINT64: {
    sent: [9007199254740991, '9007199254740993', '18446744073709551615', '42'],
    answered: [9007199254740991, '9007199254740993', '18446744073709551615', 42],
  },
  INT8: { sent: [-128, 127], answered: [-128, 127] },
  INT16: { sent: [-32768, 32767], answered: [-32768, 32767] },
  INT32: { sent: [-2147483648, 2147483647], answered: [-2147483648, 2147483647] },
  INT64: {
    sent: ['-9223372036854775808', '9223372036854775807', -9007199254740991, '-7'],
    answered: ['-9223372036854775808', '9223372036854775807', -9007199254740991, -7],
  },
  FP16: { sent: [0.1, 65504, 'NaN', '-Infinity'], answered: [0.0999755859375, 65504, 'NaN', '-Infinity'] },
  FP32: { sent: [0.5, 1e39, 'NaN', 'Infinity'], answered: [0.5, 'Infinity', 'NaN', 'Infinity'] },
  FP64: { sent: [0.1, -1e-300, 'NaN', '-Infinity'], answered: [0.1, -1e-300, 'NaN', '-Infinity'] },
  BYTES: { sent: ['héllo', '😀', ''], answered: ['héllo', '😀', ''] },
};

function spec(name: string, datatype: Datatype, shape: readonly number[]): TensorSpec {
  return { name, datatype, shape };
}

function input(name: string, datatype: unknown, shape: unknown, data: unknown): Record<string, unknown> {
  return { name, datatype, shape, data };
}

/** Runs `fn` and returns the BadRequestError it throws. */
function rejection(fn: () => unknown): BadRequestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BadRequestError) return error;
    throw error;
  }
  throw new Error('expected a BadRequestError');
}

describe('decodeInferRequest and encodeInferResponse', () => {
  it.each(DATATYPES)('round-trips %s, including its extreme values', (datatype) => {
    const { sent, answered } = ROUND_TRIP[datatype];
    const specs = [spec('x', datatype, ANY_2D)];
    const request = decodeInferRequest(
      { inputs: [input('x', datatype, [1, sent.length], sent)] },
      specs,
      specs,
    );

    const response = encodeInferResponse({
      modelName: 'm',
      modelVersion: '1',
      outputs: request.inputs,
      order: ['x'],
    });

    expect(response.outputs).toEqual([{ name: 'x', datatype, shape: [1, sent.length], data: answered }]);
  });

  it('keeps 64-bit integers exact in memory', () => {
    const specs = [spec('u', 'UINT64', [-1]), spec('i', 'INT64', [-1])];
    const { inputs } = decodeInferRequest(
      {
        inputs: [
          input('u', 'UINT64', [2], ['9007199254740993', '18446744073709551615']),
          input('i', 'INT64', [1], ['-9223372036854775808']),
        ],
      },
      specs,
      specs,
    );

    expect(inputs.u?.data).toEqual(new BigUint64Array([2n ** 53n + 1n, 2n ** 64n - 1n]));
    expect(inputs.i?.data).toEqual(new BigInt64Array([-(2n ** 63n)]));
  });

  it('decodes FP16 to IEEE half bits, rounding to nearest even', () => {
    const specs = [spec('h', 'FP16', [-1])];
    const { inputs } = decodeInferRequest(
      { inputs: [input('h', 'FP16', [4], [1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000])] },
      specs,
      specs,
    );

    expect(inputs.h?.data).toEqual(new Uint16Array([0x3c00, 0x3c00, 0x3c02, 0x7c00]));
  });

  it('decodes nested data in row-major order', () => {
    const specs = [spec('x', 'INT32', [2, -1])];
    const { inputs } = decodeInferRequest(
      {
        inputs: [
          input(
            'x',
            'INT32',
            [2, 3],
            [
              [1, 2, 3],
              [4, 5, 6],
            ],
          ),
        ],
      },
      specs,
      specs,
    );

    expect(inputs.x).toEqual({ datatype: 'INT32', shape: [2, 3], data: new Int32Array([1, 2, 3, 4, 5, 6]) });
  });

  it.each([[5], [[5]]])('accepts a scalar as %p', (data) => {
    const specs = [spec('s', 'FP64', [])];
    const { inputs } = decodeInferRequest({ inputs: [input('s', 'FP64', [], data)] }, specs, specs);

    expect(inputs.s).toEqual({ datatype: 'FP64', shape: [], data: new Float64Array([5]) });
  });

  it.each([
    [[0, 3], []],
    [
      [2, 0],
      [[], []],
    ],
  ])('accepts an empty tensor of shape %p with data %p', (shape, data) => {
    const specs = [spec('e', 'BYTES', [-1, -1])];
    const { inputs } = decodeInferRequest({ inputs: [input('e', 'BYTES', shape, data)] }, specs, specs);

    expect(inputs.e).toEqual({ datatype: 'BYTES', shape, data: [] });
  });

  it('returns id, requested outputs and the input bytes', () => {
    const inputs = [spec('a', 'FP32', [-1, 3]), spec('t', 'BYTES', [-1])];
    const outputs = [spec('y', 'FP32', [-1]), spec('z', 'FP32', [-1])];

    const request = decodeInferRequest(
      {
        id: 'req-1',
        parameters: { priority: 1 },
        inputs: [input('a', 'FP32', [2, 3], [1, 2, 3, 4, 5, 6]), input('t', 'BYTES', [1], ['héllo'])],
        outputs: [{ name: 'z' }, { name: 'y', parameters: { binary_data: false } }],
      },
      inputs,
      outputs,
    );

    expect(request.id).toBe('req-1');
    expect(request.outputNames).toEqual(['z', 'y']);
    expect(request.inputBytes).toBe(6 * 4 + 6);
  });

  it('treats an empty outputs list as all outputs', () => {
    const specs = [spec('x', 'FP32', [-1])];

    const request = decodeInferRequest({ inputs: [input('x', 'FP32', [1], [1])], outputs: [] }, specs, specs);

    expect(request.outputNames).toBeUndefined();
    expect(request.id).toBeUndefined();
  });

  it('decodes a 3x48x192 FP32 image straight into a Float32Array', () => {
    const specs = [spec('x', 'FP32', [-1, 3, -1, -1])];
    const data = Array.from({ length: 3 * 48 * 192 }, (_, i) => i / 7);

    const { inputs, inputBytes } = decodeInferRequest(
      { inputs: [input('x', 'FP32', [1, 3, 48, 192], data)] },
      specs,
      specs,
    );

    expect(inputs.x?.data).toEqual(new Float32Array(data));
    expect(inputBytes).toBe(27648 * 4);
  });
});

describe('decodeInferRequest errors', () => {
  const specs = [spec('a', 'FP32', [-1, 3]), spec('b', 'INT8', [2])];
  const outputs = [spec('y', 'FP32', [-1])];
  const good = (): Record<string, unknown>[] => [
    input('a', 'FP32', [1, 3], [1, 2, 3]),
    input('b', 'INT8', [2], [1, 2]),
  ];
  const decode =
    (body: unknown): (() => unknown) =>
    () =>
      decodeInferRequest(body, specs, outputs);

  it.each<[string, unknown, string, RegExp]>([
    ['a non-object body', [1], 'invalid_request', /request body must be a JSON object/],
    [
      'an unknown top-level field',
      { inputs: good(), model: 'x' },
      'invalid_request',
      /unknown field 'model'/,
    ],
    ['a numeric id', { id: 1, inputs: good() }, 'invalid_request', /'id' must be a string/],
    [
      'parameters that are not an object',
      { inputs: good(), parameters: [] },
      'invalid_request',
      /'parameters'/,
    ],
    ['inputs that are not an array', { inputs: {} }, 'invalid_request', /'inputs' must be an array/],
    ['an input that is not an object', { inputs: [1] }, 'invalid_request', /inputs\[0\] must be an object/],
    ['an input without name', { inputs: [{ datatype: 'FP32' }] }, 'invalid_request', /inputs\[0\]\.name/],
    [
      'an unknown input field',
      { inputs: [{ ...good()[0], contents: [] }] },
      'invalid_request',
      /input 'a' has an unknown field 'contents'/,
    ],
    [
      'binary tensor data',
      { inputs: [{ ...good()[0], parameters: { binary_data_size: 12 } }] },
      'invalid_request',
      /input 'a': parameter 'binary_data_size' is not supported/,
    ],
    [
      'a datatype that is not a string',
      { inputs: [input('a', 1, [1, 3], [1, 2, 3])] },
      'invalid_request',
      /input 'a': 'datatype' must be a string/,
    ],
    [
      'a shape that is not an array',
      { inputs: [input('a', 'FP32', '1x3', [])] },
      'invalid_request',
      /input 'a': 'shape' must be an array/,
    ],
    [
      'missing data',
      { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3] }] },
      'invalid_request',
      /input 'a' has no 'data'/,
    ],
    [
      'an unknown input',
      { inputs: [...good(), input('c', 'FP32', [1], [1])] },
      'unknown_input',
      /input 'c' is not an input of the model; expected 'a', 'b'/,
    ],
    [
      'a missing input',
      { inputs: [good()[0]] },
      'missing_input',
      /input 'b' is missing; the model expects 'a', 'b'/,
    ],
    ['no inputs', { inputs: [] }, 'missing_input', /inputs 'a', 'b' are missing/],
    [
      'a duplicate input',
      { inputs: [...good(), good()[1]] },
      'duplicate_input',
      /input 'b' is given more than once/,
    ],
    [
      'another datatype',
      { inputs: [input('a', 'FP64', [1, 3], [1, 2, 3]), good()[1]] },
      'datatype_mismatch',
      /input 'a' has datatype FP64; the model expects FP32/,
    ],
    [
      'an unknown datatype',
      { inputs: [input('a', 'FLOAT', [1, 3], [1, 2, 3]), good()[1]] },
      'datatype_mismatch',
      /input 'a' has datatype FLOAT; the model expects FP32/,
    ],
    [
      'another rank',
      { inputs: [input('a', 'FP32', [3], [1, 2, 3]), good()[1]] },
      'shape_mismatch',
      /input 'a' has shape \[3\] of rank 1; the model expects \[-1,3\] \(-1 means any size\)/,
    ],
    [
      'another fixed dimension',
      { inputs: [input('a', 'FP32', [1, 4], [1, 2, 3, 4]), good()[1]] },
      'shape_mismatch',
      /input 'a' has shape \[1,4\]; the model expects \[-1,3\] \(-1 means any size\) \(dimension 1 must be 3\)/,
    ],
    [
      'a negative dimension',
      { inputs: [input('a', 'FP32', [-1, 3], [1, 2, 3]), good()[1]] },
      'shape_mismatch',
      /input 'a': shape\[0\] is -1, expected a non-negative integer/,
    ],
    [
      'a fractional dimension',
      { inputs: [input('a', 'FP32', [1.5, 3], [1, 2, 3]), good()[1]] },
      'shape_mismatch',
      /input 'a': shape\[0\] is 1.5/,
    ],
    [
      'too few elements',
      { inputs: [input('a', 'FP32', [2, 3], [1, 2, 3, 4, 5]), good()[1]] },
      'size_mismatch',
      /input 'a' has 5 data elements; shape \[2,3\] needs 6/,
    ],
    [
      'a string for a float',
      { inputs: [input('a', 'FP32', [1, 3], [1, '2', 3]), good()[1]] },
      'invalid_data',
      /input 'a' \(FP32\): data\[1\] is "2", expected a number or one of "NaN", "Infinity", "-Infinity"/,
    ],
    [
      'a fraction for an integer',
      { inputs: [good()[0], input('b', 'INT8', [2], [1, 2.5])] },
      'invalid_data',
      /input 'b' \(INT8\): data\[1\] is 2.5, expected an integer in \[-128, 127\]/,
    ],
    [
      'an integer out of range',
      { inputs: [good()[0], input('b', 'INT8', [2], [1, 128])] },
      'invalid_data',
      /data\[1\] is 128, expected an integer in \[-128, 127\]/,
    ],
    [
      'null for a number',
      { inputs: [input('a', 'FP32', [1, 3], [1, null, 3]), good()[1]] },
      'invalid_data',
      /data\[1\] is null/,
    ],
    [
      'flat and nested data mixed',
      { inputs: [input('a', 'FP32', [1, 3], [1, [2], 3]), good()[1]] },
      'invalid_data',
      /input 'a' \(FP32\): data\[1\] is an array/,
    ],
    [
      'nesting that does not follow the shape',
      {
        inputs: [
          input(
            'a',
            'FP32',
            [2, 3],
            [
              [1, 2, 3],
              [4, 5],
            ],
          ),
          good()[1],
        ],
      },
      'invalid_data',
      /nested data must follow shape \[2,3\]; expected an array of 3 at data\[1\], found an array of 2/,
    ],
    [
      'a bad element in nested data',
      {
        inputs: [
          input(
            'a',
            'FP32',
            [2, 3],
            [
              [1, 2, 3],
              [4, false, 6],
            ],
          ),
          good()[1],
        ],
      },
      'invalid_data',
      /input 'a' \(FP32\): data\[1\]\[1\] is false/,
    ],
    [
      'data that is not an array',
      { inputs: [input('a', 'FP32', [1, 3], 7), good()[1]] },
      'invalid_data',
      /input 'a': data must be an array for shape \[1,3\], got 7/,
    ],
    [
      'an unknown output',
      { inputs: good(), outputs: [{ name: 'z' }] },
      'unknown_output',
      /output 'z' is not an output of the model; expected 'y'/,
    ],
    [
      'an output requested twice',
      { inputs: good(), outputs: [{ name: 'y' }, { name: 'y' }] },
      'invalid_request',
      /output 'y' is requested more than once/,
    ],
    [
      'binary output data',
      { inputs: good(), outputs: [{ name: 'y', parameters: { binary_data: true } }] },
      'invalid_request',
      /output 'y': parameter 'binary_data' is not supported/,
    ],
    [
      'outputs that are not an array',
      { inputs: good(), outputs: 'y' },
      'invalid_request',
      /'outputs' must be an array/,
    ],
    [
      'a shape claiming too many elements',
      { inputs: [input('a', 'FP32', [5592406, 3], []), good()[1]] },
      'too_many_elements',
      /input 'a' has shape \[5592406,3\] with 16777218 elements; the limit is 16777216/,
    ],
  ])('refuses %s', (_label, body, code, message) => {
    const error = rejection(decode(body));
    expect(error.code).toBe(code);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('refuses requests whose inputs add up to too many elements', () => {
    const big = [spec('p', 'BOOL', [-1]), spec('q', 'BOOL', [-1])];
    const half = MAX_REQUEST_ELEMENTS / 2 + 1;

    const error = rejection(() =>
      decodeInferRequest(
        { inputs: [input('p', 'BOOL', [half], new Array(half).fill(true)), input('q', 'BOOL', [half], [])] },
        big,
        [],
      ),
    );

    expect(error.code).toBe('too_many_elements');
    expect(error.message).toMatch(/input 'q' brings the request to 16777218 elements; the limit is 16777216/);
  });

  it.each<[Datatype, unknown, RegExp]>([
    ['UINT64', -1, /data\[0\] is -1, expected an integer in \[0, 18446744073709551615\]/],
    [
      'UINT64',
      '18446744073709551616',
      /is "18446744073709551616", expected an integer in \[0, 18446744073709551615\]/,
    ],
    ['INT64', '-9223372036854775809', /expected an integer in \[-9223372036854775808, 9223372036854775807\]/],
    ['INT64', 9007199254740992, /is 9007199254740992.*send them as decimal strings/],
    ['INT64', '1e3', /is "1e3"/],
    ['INT64', ' 12', /is " 12"/],
    ['UINT32', 4294967296, /expected an integer in \[0, 4294967295\]/],
    ['BOOL', 1, /data\[0\] is 1, expected true or false/],
    ['BYTES', 5, /data\[0\] is 5, expected a string of valid Unicode text/],
    ['BYTES', '\ud800', /data\[0\] is "\\ud800", expected a string of valid Unicode text/],
    ['FP16', 'nan', /is "nan", expected a number or one of "NaN", "Infinity", "-Infinity"/],
    ['FP64', {}, /is an object/],
  ])('refuses %s element %p as invalid_data', (datatype, value, message) => {
    const specs1 = [spec('x', datatype, [1])];

    const error = rejection(() =>
      decodeInferRequest({ inputs: [input('x', datatype, [1], [value])] }, specs1, []),
    );

    expect(error.code).toBe('invalid_data');
    expect(error.message).toMatch(`input 'x' (${datatype})`);
    expect(error.message).toMatch(message);
  });

  it.each<[unknown, string, RegExp]>([
    [[5, 6], 'size_mismatch', /input 's' is a scalar \(shape \[\]\) and needs 1 data element, got 2/],
    [[[5]], 'invalid_data', /data\[0\] is an array/],
  ])('refuses scalar data %p', (data, code, message) => {
    const scalar = [spec('s', 'FP32', [])];

    const error = rejection(() => decodeInferRequest({ inputs: [input('s', 'FP32', [], data)] }, scalar, []));

    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('does not mistake inherited names for given inputs', () => {
    const inherited = [spec('toString', 'FP32', [1])];

    const error = rejection(() => decodeInferRequest({ inputs: [] }, inherited, []));

    expect(error.code).toBe('missing_input');
  });
});

describe('encodeInferResponse', () => {
  const outputs: Record<string, Tensor> = {
    probs: { datatype: 'FP32', shape: [1, 3], data: new Float32Array([0.25, NaN, -Infinity]) },
    mask: { datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    ids: { datatype: 'INT64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 3n]) },
    half: { datatype: 'FP16', shape: [2], data: new Uint16Array([0x3c00, 0x7c00]) },
    label: { datatype: 'BYTES', shape: [], data: ['cat'] },
  };

  it('returns outputs in the given order with flat data', () => {
    const body = encodeInferResponse({
      modelName: 'clf',
      modelVersion: '3',
      id: 'r1',
      outputs,
      order: ['label', 'probs', 'mask', 'ids', 'half'],
    });

    expect(body).toEqual({
      model_name: 'clf',
      model_version: '3',
      id: 'r1',
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [], data: ['cat'] },
        { name: 'probs', datatype: 'FP32', shape: [1, 3], data: [0.25, 'NaN', '-Infinity'] },
        { name: 'mask', datatype: 'BOOL', shape: [2], data: [true, false] },
        { name: 'ids', datatype: 'INT64', shape: [2], data: ['-9223372036854775808', 3] },
        { name: 'half', datatype: 'FP16', shape: [2], data: [1, 'Infinity'] },
      ],
    });
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  it('leaves id out when the request had none', () => {
    const body = encodeInferResponse({ modelName: 'clf', modelVersion: '3', outputs, order: ['label'] });

    expect(Object.keys(body)).toEqual(['model_name', 'model_version', 'outputs']);
  });

  it('fails loudly when an output in the order was not produced', () => {
    expect(() =>
      encodeInferResponse({ modelName: 'clf', modelVersion: '3', outputs, order: ['missing'] }),
    ).toThrow("output 'missing' was not produced by the model");
  });
});
