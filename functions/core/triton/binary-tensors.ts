import type { Datatype } from '../tensors/datatypes';
import { elementCount, isTensorDataOf, type Tensor, type TensorData } from '../tensors/tensor';
import { formatShape } from '../tensors/tensor-json';
import {
  parseInferJson,
  stringifyInferRequest,
  stringifyInferResponse,
  type NamedTensor,
} from './infer-json';

/**
 * Triton's binary tensor data extension, as NVIDIA Triton speaks it on SageMaker. Pure.
 *
 * What this relies on:
 * - The extension (triton-inference-server/server, `docs/protocol/extension_binary_data.md`):
 *   the body is the JSON request or response followed by the raw data of every tensor whose
 *   entry has `parameters.binary_data_size`, in the order of the entries; data is
 *   little-endian, row-major, without padding; BOOL is one byte (1 or 0); a BYTES element is a
 *   4-byte little-endian unsigned length followed by its bytes. A request asks for binary
 *   outputs with `parameters.binary_data_output: true` (every output) or
 *   `outputs[i].parameters.binary_data: true` (one output, overriding the former).
 * - Triton's SageMaker server (same repository, `src/sagemaker_server.cc`): SageMaker passes
 *   no custom header to the container, so the JSON's length, `Inference-Header-Content-Length`
 *   on Triton's own HTTP port, travels in the content type instead:
 *   `application/vnd.sagemaker-triton.binary+json;json-header-size=<n>`. The server reads it
 *   from the request (`GetInferenceHeaderLength`: the type must start with that prefix; a size
 *   of 0 means the whole body is one raw input) and writes it on the response when any
 *   output is binary (`SetResponseHeader`), `application/json` otherwise.
 *
 * Malformed bodies throw {@link TritonBodyError}, whose message names the part at fault.
 */

/** The content type of a body with binary tensors, before the JSON header's length in bytes. */
export const BINARY_CONTENT_TYPE_PREFIX = 'application/vnd.sagemaker-triton.binary+json;json-header-size=';

/** The content type of a body that is JSON only. */
export const JSON_CONTENT_TYPE = 'application/json';

/** A body that does not follow the extension; the message names what is wrong. */
export class TritonBodyError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TritonBodyError';
  }
}

/** A body ready to send. */
export interface EncodedInferBody {
  readonly body: Uint8Array;
  /** {@link BINARY_CONTENT_TYPE_PREFIX} and the header's length, or `application/json` without binary data. */
  readonly contentType: string;
  /** Bytes of JSON at the start of `body`. */
  readonly jsonHeaderSize: number;
}

/** One entry of a body's `inputs` or `outputs`, with its binary data when it has some. */
export interface BodyTensor {
  /** The entry as the JSON header has it (64-bit integers of JSON `data` exact, as `parseInferJson` reads them). */
  readonly entry: Readonly<Record<string, unknown>>;
  /** The entry's binary data, when it has `parameters.binary_data_size`. */
  readonly binary?: Uint8Array;
}

/** A body read: its JSON header, and the entries of one of its tensor lists. */
export interface InferBody {
  readonly header: Readonly<Record<string, unknown>>;
  readonly tensors: readonly BodyTensor[];
}

/** Bytes per element of the fixed-size datatypes. */
const ELEMENT_BYTES: Readonly<Record<Exclude<Datatype, 'BYTES'>, number>> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

/** Typed arrays are in the host's byte order; the extension is little-endian, as Lambda and SageMaker hosts are. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The content type of a body whose JSON header is `jsonHeaderSize` bytes long.
 *
 * @example
 * binaryContentType(120); // 'application/vnd.sagemaker-triton.binary+json;json-header-size=120'
 */
export function binaryContentType(jsonHeaderSize: number): string {
  return `${BINARY_CONTENT_TYPE_PREFIX}${jsonHeaderSize}`;
}

/**
 * The length of the JSON header given by a content type, checked against the body's size;
 * `undefined` when the content type is not the binary one (the whole body is JSON). Throws
 * {@link TritonBodyError} for a binary content type that does not start the header, a size
 * that is not a whole number, 0 (Triton's raw single-input form, which this platform does
 * not use) or more than the body.
 *
 * @example
 * jsonHeaderSizeOf('application/vnd.sagemaker-triton.binary+json;json-header-size=7', 19); // 7
 * jsonHeaderSizeOf('application/json', 19); // undefined
 */
export function jsonHeaderSizeOf(contentType: string | undefined, bodyBytes: number): number | undefined {
  if (contentType === undefined) return undefined;
  const at = contentType.indexOf(BINARY_CONTENT_TYPE_PREFIX);
  if (at === -1) return undefined;
  if (at !== 0) {
    throw new TritonBodyError(
      `the content type must start with '${BINARY_CONTENT_TYPE_PREFIX}', got '${contentType}'`,
    );
  }
  const value = contentType.slice(BINARY_CONTENT_TYPE_PREFIX.length);
  if (!/^\d{1,15}$/.test(value)) {
    throw new TritonBodyError(`json-header-size must be a whole number of bytes, got '${value}'`);
  }
  const size = Number(value);
  if (size === 0) {
    throw new TritonBodyError(
      'json-header-size is 0, which stands for one raw input without a JSON header; send the JSON header first',
    );
  }
  if (size > bodyBytes) {
    throw new TritonBodyError(`json-header-size is ${size} but the body has only ${bodyBytes} bytes`);
  }
  return size;
}

/**
 * A tensor's data in the extension's binary form.
 *
 * @example
 * encodeBinaryTensor({ datatype: 'BYTES', shape: [1], data: ['hi'] }); // Uint8Array [2, 0, 0, 0, 104, 105]
 */
export function encodeBinaryTensor(tensor: Tensor): Uint8Array {
  const { datatype, data } = tensor;
  // The in-memory form is checked by every runtime; a mismatch here is a bug, not bad input.
  if (!isTensorDataOf(datatype, data))
    throw new Error(`${datatype} tensor data is not in its in-memory form`);
  if (Array.isArray(data)) {
    const elements = data.map((value) => encoder.encode(value));
    const out = new Uint8Array(elements.reduce((sum, bytes) => sum + 4 + bytes.byteLength, 0));
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const bytes of elements) {
      view.setUint32(offset, bytes.byteLength, true);
      out.set(bytes, offset + 4);
      offset += 4 + bytes.byteLength;
    }
    return out;
  }
  assertLittleEndian();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Reads a tensor's binary data, which must hold exactly the elements of `shape`. `owner`
 * names the tensor in messages (`output 'y'`). Throws {@link TritonBodyError} for data of
 * another size, BOOL bytes other than 0 and 1, and BYTES elements that overrun the data or
 * are not UTF-8 (the platform's BYTES are text).
 *
 * @example
 * decodeBinaryTensor('FP32', [2], new Uint8Array([0, 0, 128, 63, 0, 0, 0, 64]), "output 'y'"); // Float32Array [1, 2]
 */
export function decodeBinaryTensor(
  datatype: Datatype,
  shape: readonly number[],
  bytes: Uint8Array,
  owner: string,
): TensorData {
  const count = elementCount(shape);
  const what = `${owner} (${datatype} ${formatShape(shape)})`;
  if (datatype === 'BYTES') return decodeBytes(count, bytes, what);
  const expected = count * ELEMENT_BYTES[datatype];
  if (bytes.byteLength !== expected) {
    throw new TritonBodyError(`${what} needs ${expected} bytes of binary data, got ${bytes.byteLength}`);
  }
  assertLittleEndian();
  // A copy: aligned for the typed array, and independent of the body it came from. (Not
  // `bytes.slice()`, which on a Node Buffer is a view into the same memory.)
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const { buffer } = copy;
  switch (datatype) {
    case 'BOOL': {
      const data = new Uint8Array(buffer);
      const bad = data.findIndex((value) => value > 1);
      if (bad !== -1)
        throw new TritonBodyError(`${what}: element ${bad} is the byte ${data[bad]}, not 0 or 1`);
      return data;
    }
    case 'UINT8':
      return new Uint8Array(buffer);
    case 'INT8':
      return new Int8Array(buffer);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(buffer);
    case 'INT16':
      return new Int16Array(buffer);
    case 'UINT32':
      return new Uint32Array(buffer);
    case 'INT32':
      return new Int32Array(buffer);
    case 'UINT64':
      return new BigUint64Array(buffer);
    case 'INT64':
      return new BigInt64Array(buffer);
    case 'FP32':
      return new Float32Array(buffer);
    case 'FP64':
      return new Float64Array(buffer);
  }
}

function decodeBytes(count: number, bytes: Uint8Array, what: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<string>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.byteLength) {
      throw new TritonBodyError(
        `${what}: the binary data ends before element ${i} of ${count} (${bytes.byteLength} bytes)`,
      );
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (length > bytes.byteLength - offset) {
      throw new TritonBodyError(
        `${what}: element ${i} claims ${length} bytes, but only ${bytes.byteLength - offset} remain`,
      );
    }
    try {
      out[i] = strictUtf8.decode(bytes.subarray(offset, offset + length));
    } catch (error) {
      throw new TritonBodyError(`${what}: element ${i} is not UTF-8 text`, { cause: error });
    }
    offset += length;
  }
  if (offset !== bytes.byteLength) {
    throw new TritonBodyError(
      `${what}: ${bytes.byteLength - offset} bytes of binary data follow its ${count} elements`,
    );
  }
  return out;
}

/**
 * An infer request with every input as binary data and every output asked for as binary
 * data: what the `sagemaker` tier sends to Triton.
 *
 * @example
 * const { body, contentType } = encodeBinaryInferRequest({ inputs: [{ name: 'x', tensor: { datatype: 'FP32', shape: [1], data: new Float32Array([1]) } }] });
 * await client.send(new InvokeEndpointCommand({ EndpointName, TargetModel, ContentType: contentType, Body: body }));
 */
export function encodeBinaryInferRequest(request: {
  readonly id?: string;
  readonly inputs: readonly NamedTensor[];
  readonly outputNames?: readonly string[];
}): EncodedInferBody {
  const data = request.inputs.map(({ tensor }) => encodeBinaryTensor(tensor));
  const header = stringifyInferRequest({
    id: request.id,
    inputs: request.inputs.map((input, i) => ({ ...input, binaryDataSize: data[i]?.byteLength ?? 0 })),
    outputNames: request.outputNames,
    binaryOutputs: true,
  });
  return withBinary(header, data);
}

/**
 * An infer response as Triton writes it: the outputs marked `binary` as binary data, the
 * others as JSON `data`; all JSON (`application/json`) when none is binary.
 *
 * @example
 * encodeInferResponseBody({ modelName: 'm', modelVersion: '1', outputs: [{ name: 'y', tensor, binary: true }] }).contentType;
 * // 'application/vnd.sagemaker-triton.binary+json;json-header-size=…'
 */
export function encodeInferResponseBody(response: {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id?: string;
  readonly outputs: readonly (NamedTensor & { readonly binary: boolean })[];
}): EncodedInferBody {
  const data: Uint8Array[] = [];
  const outputs = response.outputs.map(({ name, tensor, binary }): NamedTensor => {
    if (!binary) return { name, tensor };
    const bytes = encodeBinaryTensor(tensor);
    data.push(bytes);
    return { name, tensor, binaryDataSize: bytes.byteLength };
  });
  const header = stringifyInferResponse({ ...response, outputs });
  if (data.length === 0) {
    const body = encoder.encode(header);
    return { body, contentType: JSON_CONTENT_TYPE, jsonHeaderSize: body.byteLength };
  }
  return withBinary(header, data);
}

function withBinary(header: string, data: readonly Uint8Array[]): EncodedInferBody {
  const json = encoder.encode(header);
  const body = new Uint8Array(json.byteLength + data.reduce((sum, bytes) => sum + bytes.byteLength, 0));
  body.set(json, 0);
  let offset = json.byteLength;
  for (const bytes of data) {
    body.set(bytes, offset);
    offset += bytes.byteLength;
  }
  return { body, contentType: binaryContentType(json.byteLength), jsonHeaderSize: json.byteLength };
}

/**
 * Splits a request or response body into its JSON header and the binary data of each entry
 * of `field` (`inputs` of a request, `outputs` of a response). The header is JSON up to the
 * length the content type gives, or the whole body without one. Throws
 * {@link TritonBodyError} when the header is not a JSON object with a `field` array of
 * objects, a `binary_data_size` is not a non-negative integer, the sizes overrun the body,
 * or bytes are left over after them. Entries are not checked further: names, datatypes and
 * shapes are the caller's to check against its model.
 *
 * @example
 * const { tensors } = readInferBody(response.Body, response.ContentType, 'outputs');
 * tensors[0].binary; // the first output's bytes, when it came as binary
 */
export function readInferBody(
  body: Uint8Array,
  contentType: string | undefined,
  field: 'inputs' | 'outputs',
): InferBody {
  const headerSize = jsonHeaderSizeOf(contentType, body.byteLength);
  let header: unknown;
  try {
    header = parseInferJson(
      strictUtf8.decode(headerSize === undefined ? body : body.subarray(0, headerSize)),
    );
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new TritonBodyError(`the JSON header is not JSON: ${why}`, { cause: error });
  }
  if (!isObject(header)) throw new TritonBodyError('the JSON header is not an object');
  const list = header[field];
  if (!Array.isArray(list)) throw new TritonBodyError(`the JSON header has no '${field}' array`);
  let offset = headerSize ?? body.byteLength;
  const tensors = list.map((entry: unknown, i): BodyTensor => {
    if (!isObject(entry)) throw new TritonBodyError(`${field}[${i}] is not an object`);
    const which = typeof entry.name === 'string' ? `${field}[${i}] ('${entry.name}')` : `${field}[${i}]`;
    const size = binaryDataSize(entry, which);
    if (size === undefined) return { entry };
    if (size > body.byteLength - offset) {
      throw new TritonBodyError(
        `${which} has binary_data_size ${size}, but only ${body.byteLength - offset} bytes of binary data remain`,
      );
    }
    const binary = body.subarray(offset, offset + size);
    offset += size;
    return { entry, binary };
  });
  if (offset !== body.byteLength) {
    throw new TritonBodyError(
      `${body.byteLength - offset} bytes follow the binary data of the ${field}, which no binary_data_size accounts for`,
    );
  }
  return { header, tensors };
}

function binaryDataSize(entry: Record<string, unknown>, which: string): number | undefined {
  const { parameters } = entry;
  if (parameters === undefined) return undefined;
  if (!isObject(parameters)) throw new TritonBodyError(`${which}: 'parameters' is not an object`);
  const size = parameters.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new TritonBodyError(
      `${which}: binary_data_size must be a non-negative integer, got ${JSON.stringify(size)}`,
    );
  }
  return size;
}

function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN)
    throw new Error("Triton's binary tensor data is little-endian; this host is big-endian");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
