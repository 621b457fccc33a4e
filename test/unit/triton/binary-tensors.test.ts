import type { Datatype } from '../../../functions/core/tensors/datatypes';
import { DATATYPES } from '../../../functions/core/tensors/datatypes';
import type { Tensor } from '../../../functions/core/tensors/tensor';
import {
  BINARY_CONTENT_TYPE_PREFIX,
  decodeBinaryTensor,
  encodeBinaryInferRequest,
  encodeBinaryTensor,
  encodeInferResponseBody,
  jsonHeaderSizeOf,
  readInferBody,
  TritonBodyError,
} from '../../../functions/core/triton/binary-tensors';

const utf8 = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A header and binary data joined into one body, with the content type that says where they meet. */
function body(header: unknown, ...data: number[][]): { body: Uint8Array; contentType: string } {
  const json = utf8(JSON.stringify(header));
  return {
    body: new Uint8Array([...json, ...data.flat()]),
    contentType: `${BINARY_CONTENT_TYPE_PREFIX}${json.byteLength}`,
  };
}

function bodyError(call: () => unknown): TritonBodyError {
  try {
    call();
  } catch (error) {
    if (error instanceof TritonBodyError) return error;
    throw error;
  }
  throw new Error('expected a TritonBodyError');
}

/** Edge values of every datatype, in their in-memory form. */
const SAMPLES: Record<Datatype, Tensor> = {
  BOOL: { datatype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
  UINT8: { datatype: 'UINT8', shape: [3], data: new Uint8Array([0, 7, 255]) },
  UINT16: { datatype: 'UINT16', shape: [2], data: new Uint16Array([0, 65535]) },
  UINT32: { datatype: 'UINT32', shape: [2], data: new Uint32Array([1, 4294967295]) },
  UINT64: { datatype: 'UINT64', shape: [2], data: new BigUint64Array([2n ** 64n - 1n, 2n ** 53n + 1n]) },
  INT8: { datatype: 'INT8', shape: [2], data: new Int8Array([-128, 127]) },
  INT16: { datatype: 'INT16', shape: [2], data: new Int16Array([-32768, 32767]) },
  INT32: { datatype: 'INT32', shape: [2], data: new Int32Array([-2147483648, 2147483647]) },
  INT64: { datatype: 'INT64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
  // Half bits: 1.0, -2.0, +Infinity, NaN, the smallest subnormal.
  FP16: { datatype: 'FP16', shape: [5], data: new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x7e00, 0x0001]) },
  FP32: {
    datatype: 'FP32',
    shape: [2, 2],
    data: new Float32Array([0.1, Number.NaN, -0, Number.NEGATIVE_INFINITY]),
  },
  FP64: { datatype: 'FP64', shape: [3], data: new Float64Array([1e300, 12345678901234568, 5e-324]) },
  BYTES: { datatype: 'BYTES', shape: [4], data: ['héllo', '', '日本', '🙂 x'] },
};

describe("Triton's binary tensor data extension", () => {
  it('round-trips every datatype exactly, in a request and in a response', () => {
    const inputs = DATATYPES.map((datatype) => ({ name: `in_${datatype}`, tensor: SAMPLES[datatype] }));

    const request = encodeBinaryInferRequest({ inputs });
    const readRequest = readInferBody(request.body, request.contentType, 'inputs');
    const response = encodeInferResponseBody({
      modelName: 'identity',
      modelVersion: '1',
      outputs: DATATYPES.map((datatype) => ({
        name: `out_${datatype}`,
        tensor: SAMPLES[datatype],
        binary: true,
      })),
    });
    const readResponse = readInferBody(response.body, response.contentType, 'outputs');

    for (const [read, prefix] of [
      [readRequest, 'in'],
      [readResponse, 'out'],
    ] as const) {
      expect(read.tensors.map(({ entry }) => entry.name)).toEqual(DATATYPES.map((d) => `${prefix}_${d}`));
      read.tensors.forEach(({ entry, binary }, i) => {
        const datatype = DATATYPES[i] ?? 'BOOL';
        expect(entry).toMatchObject({ datatype, shape: SAMPLES[datatype].shape });
        if (binary === undefined) throw new Error(`${datatype} came without binary data`);
        expect(decodeBinaryTensor(datatype, SAMPLES[datatype].shape, binary, datatype)).toEqual(
          SAMPLES[datatype].data,
        );
      });
    }
    // NaN and -0 survive bit for bit.
    const fp32 = readRequest.tensors[DATATYPES.indexOf('FP32')]?.binary ?? new Uint8Array();
    const decoded = decodeBinaryTensor('FP32', [2, 2], fp32, 'x');
    expect(Object.is(decoded[2], -0)).toBe(true);
    expect(Number.isNaN(decoded[1])).toBe(true);
  });

  it('writes a request byte for byte as the extension lays it out', () => {
    const {
      body: bytes,
      contentType,
      jsonHeaderSize,
    } = encodeBinaryInferRequest({
      id: 'r1',
      inputs: [
        { name: 'x', tensor: { datatype: 'FP32', shape: [2], data: new Float32Array([1, -2]) } },
        { name: 'ok', tensor: { datatype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) } },
        { name: 's', tensor: { datatype: 'BYTES', shape: [2], data: ['hé', ''] } },
      ],
      outputNames: ['y'],
    });

    const header =
      '{"id":"r1","inputs":[' +
      '{"name":"x","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}},' +
      '{"name":"ok","datatype":"BOOL","shape":[3],"parameters":{"binary_data_size":3}},' +
      '{"name":"s","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":11}}' +
      '],"outputs":[{"name":"y","parameters":{"binary_data":true}}],"parameters":{"binary_data_output":true}}';
    expect(jsonHeaderSize).toBe(header.length);
    expect(contentType).toBe(
      `application/vnd.sagemaker-triton.binary+json;json-header-size=${header.length}`,
    );
    expect(Buffer.from(bytes.subarray(0, jsonHeaderSize)).toString('utf8')).toBe(header);
    expect(hex(bytes.subarray(jsonHeaderSize))).toBe(
      '0000803f' + '000000c0' + '010001' + '0300000068c3a9' + '00000000',
    );
  });

  it('writes a response with binary and JSON outputs, and all JSON when none is binary', () => {
    const y: Tensor = { datatype: 'INT64', shape: [2], data: new BigInt64Array([-1n, 2n ** 62n]) };
    const z: Tensor = { datatype: 'FP32', shape: [1], data: new Float32Array([0.5]) };

    const mixed = encodeInferResponseBody({
      modelName: 'm',
      modelVersion: '1',
      outputs: [
        { name: 'y', tensor: y, binary: true },
        { name: 'z', tensor: z, binary: false },
      ],
    });
    const json = encodeInferResponseBody({
      modelName: 'm',
      modelVersion: '1',
      id: 'a',
      outputs: [{ name: 'z', tensor: z, binary: false }],
    });

    const header =
      '{"model_name":"m","model_version":"1","outputs":[' +
      '{"name":"y","datatype":"INT64","shape":[2],"parameters":{"binary_data_size":16}},' +
      '{"name":"z","datatype":"FP32","shape":[1],"data":[0.5]}]}';
    expect(mixed.contentType).toBe(`${BINARY_CONTENT_TYPE_PREFIX}${header.length}`);
    expect(Buffer.from(mixed.body.subarray(0, header.length)).toString('utf8')).toBe(header);
    expect(hex(mixed.body.subarray(header.length))).toBe('ffffffffffffffff' + '0000000000000040');
    expect(json.contentType).toBe('application/json');
    expect(JSON.parse(Buffer.from(json.body).toString('utf8'))).toEqual({
      model_name: 'm',
      model_version: '1',
      id: 'a',
      outputs: [{ name: 'z', datatype: 'FP32', shape: [1], data: [0.5] }],
    });
  });

  it('reads the documented example: a UINT32 [2,2] and a BOOL [3] input in 19 bytes', () => {
    const example = body(
      {
        model_name: 'mymodel',
        inputs: [
          { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
          { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
        ],
        outputs: [{ name: 'output0', parameters: { binary_data: true } }],
      },
      [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0],
      [1, 0, 1],
    );

    const { header, tensors } = readInferBody(example.body, example.contentType, 'inputs');

    expect(header.model_name).toBe('mymodel');
    expect(decodeBinaryTensor('UINT32', [2, 2], tensors[0]?.binary ?? new Uint8Array(), 'input0')).toEqual(
      new Uint32Array([1, 2, 3, 256]),
    );
    expect(decodeBinaryTensor('BOOL', [3], tensors[1]?.binary ?? new Uint8Array(), 'input1')).toEqual(
      new Uint8Array([1, 0, 1]),
    );
  });

  it('reads a JSON body, 64-bit integers exact, and entries without binary data among binary ones', () => {
    const json = utf8(
      '{"outputs":[{"name":"y","datatype":"UINT64","shape":[1],"data":[18446744073709551615]}]}',
    );
    const mixed = body(
      {
        outputs: [
          { name: 'a', datatype: 'FP32', shape: [1], data: [1] },
          { name: 'b', datatype: 'UINT8', shape: [2], parameters: { binary_data_size: 2 } },
        ],
      },
      [9, 8],
    );

    expect(readInferBody(json, 'application/json', 'outputs').tensors).toEqual([
      { entry: { name: 'y', datatype: 'UINT64', shape: [1], data: ['18446744073709551615'] } },
    ]);
    expect(readInferBody(json, undefined, 'outputs').tensors).toHaveLength(1);
    const [a, b] = readInferBody(mixed.body, mixed.contentType, 'outputs').tensors;
    expect(a?.binary).toBeUndefined();
    expect(Array.from(b?.binary ?? [])).toEqual([9, 8]);
  });

  it('refuses content types whose header size is not a whole number within the body, naming it', () => {
    expect(jsonHeaderSizeOf('application/json', 10)).toBeUndefined();
    expect(jsonHeaderSizeOf(undefined, 10)).toBeUndefined();
    expect(jsonHeaderSizeOf(`${BINARY_CONTENT_TYPE_PREFIX}10`, 10)).toBe(10);

    expect(bodyError(() => jsonHeaderSizeOf(`${BINARY_CONTENT_TYPE_PREFIX}abc`, 10)).message).toBe(
      "json-header-size must be a whole number of bytes, got 'abc'",
    );
    expect(bodyError(() => jsonHeaderSizeOf(`${BINARY_CONTENT_TYPE_PREFIX}-1`, 10)).message).toMatch(
      /whole number of bytes, got '-1'/,
    );
    expect(bodyError(() => jsonHeaderSizeOf(`${BINARY_CONTENT_TYPE_PREFIX}`, 10)).message).toMatch(/got ''/);
    expect(bodyError(() => jsonHeaderSizeOf(`${BINARY_CONTENT_TYPE_PREFIX}0`, 10)).message).toMatch(
      /json-header-size is 0, which stands for one raw input/,
    );
    expect(bodyError(() => jsonHeaderSizeOf(`${BINARY_CONTENT_TYPE_PREFIX}11`, 10)).message).toBe(
      'json-header-size is 11 but the body has only 10 bytes',
    );
    expect(
      bodyError(() => jsonHeaderSizeOf(`text/plain, ${BINARY_CONTENT_TYPE_PREFIX}5`, 10)).message,
    ).toMatch(/must start with 'application\/vnd\.sagemaker-triton\.binary\+json;json-header-size='/);
  });

  it('refuses malformed bodies with a message that names the part at fault', () => {
    const output = (parameters: unknown) => ({ name: 'y', datatype: 'UINT8', shape: [2], parameters });
    const cases: [string, { body: Uint8Array; contentType: string }, RegExp][] = [
      [
        'a header cut short',
        { body: utf8('{"outputs":['), contentType: 'application/json' },
        /JSON header is not JSON/,
      ],
      [
        'a header that is not UTF-8',
        { body: new Uint8Array([0x7b, 0xff, 0x7d]), contentType: 'application/json' },
        /JSON header is not JSON/,
      ],
      ['a header that is an array', body([]), /JSON header is not an object/],
      ['no outputs', body({ model_name: 'm' }), /JSON header has no 'outputs' array/],
      ['an entry that is not an object', body({ outputs: [3] }), /outputs\[0\] is not an object/],
      [
        'parameters that are not an object',
        body({ outputs: [output('x')] }),
        /'parameters' is not an object/,
      ],
      [
        'a negative size',
        body({ outputs: [output({ binary_data_size: -1 })] }),
        /outputs\[0\] \('y'\): binary_data_size must be a non-negative integer, got -1/,
      ],
      ['a fractional size', body({ outputs: [output({ binary_data_size: 1.5 })] }), /got 1\.5/],
      ['a size as text', body({ outputs: [output({ binary_data_size: '2' })] }), /got "2"/],
      [
        'sizes beyond the body',
        body({ outputs: [output({ binary_data_size: 2 }), output({ binary_data_size: 2 })] }, [1, 2, 3]),
        /outputs\[1\] \('y'\) has binary_data_size 2, but only 1 bytes of binary data remain/,
      ],
      [
        'bytes left over',
        body({ outputs: [output({ binary_data_size: 2 })] }, [1, 2, 3, 4]),
        /2 bytes follow the binary data of the outputs/,
      ],
      [
        'binary sizes in a JSON body',
        {
          body: utf8(JSON.stringify({ outputs: [output({ binary_data_size: 2 })] })),
          contentType: 'application/json',
        },
        /has binary_data_size 2, but only 0 bytes of binary data remain/,
      ],
    ];

    for (const [what, malformed, message] of cases) {
      expect([
        what,
        bodyError(() => readInferBody(malformed.body, malformed.contentType, 'outputs')).message,
      ]).toEqual([what, expect.stringMatching(message)]);
    }
  });

  it('refuses binary data that does not hold the tensor, naming the tensor and the element', () => {
    const decode = (datatype: Datatype, shape: number[], bytes: number[]) =>
      bodyError(() => decodeBinaryTensor(datatype, shape, new Uint8Array(bytes), "output 'y'")).message;

    expect(decode('FP32', [1, 2], [0, 0, 128])).toBe(
      "output 'y' (FP32 [1,2]) needs 8 bytes of binary data, got 3",
    );
    expect(decode('INT64', [1], [])).toBe("output 'y' (INT64 [1]) needs 8 bytes of binary data, got 0");
    expect(decode('BOOL', [3], [1, 2, 0])).toBe("output 'y' (BOOL [3]): element 1 is the byte 2, not 0 or 1");
    expect(decode('BYTES', [2], [1, 0, 0, 0, 97, 1, 0])).toBe(
      "output 'y' (BYTES [2]): the binary data ends before element 1 of 2 (7 bytes)",
    );
    expect(decode('BYTES', [1], [9, 0, 0, 0, 97])).toBe(
      "output 'y' (BYTES [1]): element 0 claims 9 bytes, but only 1 remain",
    );
    expect(decode('BYTES', [1], [1, 0, 0, 0, 0xff])).toBe(
      "output 'y' (BYTES [1]): element 0 is not UTF-8 text",
    );
    expect(decode('BYTES', [1], [1, 0, 0, 0, 97, 98])).toBe(
      "output 'y' (BYTES [1]): 1 bytes of binary data follow its 1 elements",
    );
    // Empty tensors are empty data.
    expect(decodeBinaryTensor('FP32', [0, 4], new Uint8Array(), 'x')).toEqual(new Float32Array());
    expect(decodeBinaryTensor('BYTES', [0], new Uint8Array(), 'x')).toEqual([]);
  });

  it('encodes without copying numeric data and refuses data not in its in-memory form', () => {
    const data = new Float32Array([1, 2, 3, 4]).subarray(1, 3);

    const bytes = encodeBinaryTensor({ datatype: 'FP32', shape: [2], data });

    expect(bytes.buffer).toBe(data.buffer);
    expect(hex(bytes)).toBe('00000040' + '00004040');
    expect(() => encodeBinaryTensor({ datatype: 'FP32', shape: [1], data: new Float64Array([1]) })).toThrow(
      /FP32 tensor data is not in its in-memory form/,
    );
  });
});
