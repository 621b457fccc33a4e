import { BadRequestError } from '../errors';
import type { Datatype } from './datatypes';
import { fromFloat16Bits, toFloat16Bits } from './float16';
import type { Tensor, TensorData } from './tensor';

/**
 * Conversion of one tensor's `data` between Open Inference Protocol JSON and typed arrays.
 * The rules are documented in `oip-codec.ts`, which is where the platform docs link.
 */

/** A JSON element of tensor data. */
export type JsonTensorValue = number | string | boolean;

/** Where decoded data comes from, for error messages. */
export interface TensorDataSource {
  /** Name of the input, quoted in every message. */
  readonly name: string;
  readonly datatype: Datatype;
  /** Validated shape: non-negative integers. */
  readonly shape: readonly number[];
  /** Product of `shape`, computed by the caller, which caps it. */
  readonly count: number;
}

/** Decoded data and its size in memory (UTF-8 bytes for BYTES). */
export interface DecodedTensorData {
  readonly data: TensorData;
  readonly byteLength: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = -SAFE_MAX;
// 20 digits hold 2^64-1; longer strings cannot be in range and would make BigInt() slow.
const DECIMAL_INTEGER = /^-?[0-9]{1,20}$/;

/**
 * A typed destination with what its loop needs to check. One object per tensor, so the
 * per-element loops below switch on the datatype once per row, not once per element.
 */
type Sink =
  | { readonly kind: 'float'; readonly data: Float32Array | Float64Array }
  | { readonly kind: 'half'; readonly data: Uint16Array }
  | {
      readonly kind: 'int';
      readonly data: Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;
      readonly min: number;
      readonly max: number;
    }
  | {
      readonly kind: 'int64';
      readonly data: BigInt64Array | BigUint64Array;
      readonly min: bigint;
      readonly max: bigint;
    }
  | { readonly kind: 'bool'; readonly data: Uint8Array }
  | { readonly kind: 'bytes'; readonly data: string[]; byteLength: number };

function createSink(datatype: Datatype, count: number): Sink {
  switch (datatype) {
    case 'BOOL':
      return { kind: 'bool', data: new Uint8Array(count) };
    case 'UINT8':
      return { kind: 'int', data: new Uint8Array(count), min: 0, max: 0xff };
    case 'UINT16':
      return { kind: 'int', data: new Uint16Array(count), min: 0, max: 0xffff };
    case 'UINT32':
      return { kind: 'int', data: new Uint32Array(count), min: 0, max: 0xffffffff };
    case 'INT8':
      return { kind: 'int', data: new Int8Array(count), min: -0x80, max: 0x7f };
    case 'INT16':
      return { kind: 'int', data: new Int16Array(count), min: -0x8000, max: 0x7fff };
    case 'INT32':
      return { kind: 'int', data: new Int32Array(count), min: -0x80000000, max: 0x7fffffff };
    case 'UINT64':
      return { kind: 'int64', data: new BigUint64Array(count), min: 0n, max: UINT64_MAX };
    case 'INT64':
      return { kind: 'int64', data: new BigInt64Array(count), min: INT64_MIN, max: INT64_MAX };
    case 'FP16':
      return { kind: 'half', data: new Uint16Array(count) };
    case 'FP32':
      return { kind: 'float', data: new Float32Array(count) };
    case 'FP64':
      return { kind: 'float', data: new Float64Array(count) };
    case 'BYTES':
      return { kind: 'bytes', data: new Array<string>(count), byteLength: 0 };
  }
}

/**
 * Decodes the `data` of one input into a typed array, accepting flat data, data nested
 * exactly like the shape, and for scalars (`[]`) a bare value or a one-element array.
 * Throws `BadRequestError` with code `size_mismatch` or `invalid_data`.
 *
 * @example
 * decodeTensorData({ name: 'x', datatype: 'INT32', shape: [2, 2], count: 4 }, [[1, 2], [3, 4]]);
 * // { data: Int32Array [1, 2, 3, 4], byteLength: 16 }
 */
export function decodeTensorData(source: TensorDataSource, data: unknown): DecodedTensorData {
  const { shape, count } = source;
  const sink = createSink(source.datatype, count);
  if (shape.length === 0) {
    if (!Array.isArray(data)) {
      writeRow(source, sink, [data], 0, undefined);
    } else if (data.length !== 1) {
      throw new BadRequestError(
        'size_mismatch',
        `input '${source.name}' is a scalar (shape []) and needs 1 data element, got ${data.length}`,
      );
    } else {
      writeRow(source, sink, data, 0, undefined);
    }
  } else if (!Array.isArray(data)) {
    throw new BadRequestError(
      'invalid_data',
      `input '${source.name}': data must be an array for shape ${formatShape(shape)}, got ${describe(data)}`,
    );
  } else if (shape.length === 1 || data.length === 0 || !Array.isArray(data[0])) {
    // Flat unless the first element is an array: nesting is decided once, not per element.
    if (data.length !== count) {
      throw new BadRequestError(
        'size_mismatch',
        `input '${source.name}' has ${data.length} data elements; shape ${formatShape(shape)} needs ${count}`,
      );
    }
    writeRow(source, sink, data, 0, undefined);
  } else {
    writeNested(source, sink, data, [], 0);
  }
  return { data: sink.data, byteLength: sink.kind === 'bytes' ? sink.byteLength : sink.data.byteLength };
}

function writeNested(
  source: TensorDataSource,
  sink: Sink,
  value: unknown,
  path: number[],
  offset: number,
): number {
  const depth = path.length;
  const dim = source.shape[depth];
  if (!Array.isArray(value) || value.length !== dim) {
    const found = Array.isArray(value) ? `an array of ${value.length}` : describe(value);
    throw new BadRequestError(
      'invalid_data',
      `input '${source.name}': nested data must follow shape ${formatShape(source.shape)}; ` +
        `expected an array of ${dim} at ${formatPath(path)}, found ${found}`,
    );
  }
  if (depth === source.shape.length - 1) {
    writeRow(source, sink, value, offset, path);
    return offset + dim;
  }
  let next = offset;
  for (let i = 0; i < dim; i++) {
    path.push(i);
    next = writeNested(source, sink, value[i], path, next);
    path.pop();
  }
  return next;
}

/** Writes the elements of one innermost array (or of the whole flat array) at `offset`. */
function writeRow(
  source: TensorDataSource,
  sink: Sink,
  row: readonly unknown[],
  offset: number,
  path: readonly number[] | undefined,
): void {
  const n = row.length;
  switch (sink.kind) {
    case 'float': {
      const out = sink.data;
      for (let i = 0; i < n; i++) {
        const v = row[i];
        out[offset + i] = typeof v === 'number' ? v : nonFinite(source, v, offset, i, path);
      }
      return;
    }
    case 'half': {
      const out = sink.data;
      for (let i = 0; i < n; i++) {
        const v = row[i];
        out[offset + i] = toFloat16Bits(typeof v === 'number' ? v : nonFinite(source, v, offset, i, path));
      }
      return;
    }
    case 'int': {
      const { data: out, min, max } = sink;
      for (let i = 0; i < n; i++) {
        const v = row[i];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
          throw invalidElement(source, v, offset, i, path, `an integer in [${min}, ${max}]`);
        }
        out[offset + i] = v;
      }
      return;
    }
    case 'int64': {
      const { data: out, min, max } = sink;
      for (let i = 0; i < n; i++) {
        const v = row[i];
        const b = toBigInt(v);
        if (b === undefined || b < min || b > max) {
          throw invalidElement(
            source,
            v,
            offset,
            i,
            path,
            `an integer in [${min}, ${max}] (a JSON number up to ±(2^53-1) or a decimal string)`,
          );
        }
        out[offset + i] = b;
      }
      return;
    }
    case 'bool': {
      const out = sink.data;
      for (let i = 0; i < n; i++) {
        const v = row[i];
        if (typeof v !== 'boolean') throw invalidElement(source, v, offset, i, path, 'true or false');
        out[offset + i] = v ? 1 : 0;
      }
      return;
    }
    case 'bytes': {
      const out = sink.data;
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const v = row[i];
        const length = typeof v === 'string' ? utf8Length(v) : -1;
        if (typeof v !== 'string' || length < 0) {
          throw invalidElement(source, v, offset, i, path, 'a string of valid Unicode text');
        }
        out[offset + i] = v;
        bytes += length;
      }
      sink.byteLength += bytes;
      return;
    }
  }
}

function nonFinite(
  source: TensorDataSource,
  value: unknown,
  offset: number,
  index: number,
  path: readonly number[] | undefined,
): number {
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  throw invalidElement(
    source,
    value,
    offset,
    index,
    path,
    'a number or one of "NaN", "Infinity", "-Infinity"',
  );
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) return BigInt(value);
  return undefined;
}

/** UTF-8 length of a string, or -1 when it holds a lone surrogate (not encodable). */
function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) length += 1;
    else if (c < 0x800) length += 2;
    else if (c < 0xd800 || c > 0xdfff) length += 3;
    else if (c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low < 0xdc00 || low > 0xdfff) return -1;
      length += 4;
      i++;
    } else return -1;
  }
  return length;
}

function invalidElement(
  source: TensorDataSource,
  value: unknown,
  offset: number,
  index: number,
  path: readonly number[] | undefined,
  expected: string,
): BadRequestError {
  const where = path === undefined ? `data[${offset + index}]` : `${formatPath(path)}[${index}]`;
  let hint = '';
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    hint = '; integers beyond ±(2^53-1) lose precision as JSON numbers, send them as decimal strings';
  }
  return new BadRequestError(
    'invalid_data',
    `input '${source.name}' (${source.datatype}): ${where} is ${describe(value)}, expected ${expected}${hint}`,
  );
}

function formatPath(path: readonly number[]): string {
  let text = 'data';
  for (const i of path) text += `[${i}]`;
  return text;
}

/**
 * A short description of a JSON value for error messages: never more than 40 characters,
 * and arrays and objects only by kind (a deeply nested value would overflow the stack of
 * `JSON.stringify`).
 */
export function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** `[2,3]`, the way shapes appear in messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Encodes tensor data as a flat JSON array: BOOL as booleans, 64-bit integers beyond
 * ±(2^53-1) as decimal strings, non-finite floats as "NaN", "Infinity", "-Infinity".
 *
 * @example
 * encodeTensorData({ datatype: 'UINT64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) });
 * // ['18446744073709551615']
 */
export function encodeTensorData(tensor: Tensor): JsonTensorValue[] {
  const { data, datatype } = tensor;
  if (Array.isArray(data)) return data.slice();
  const n = data.length;
  const out = new Array<JsonTensorValue>(n);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) {
      const v = data[i];
      out[i] = v >= SAFE_MIN && v <= SAFE_MAX ? Number(v) : v.toString();
    }
  } else if (data instanceof Float32Array || data instanceof Float64Array) {
    for (let i = 0; i < n; i++) out[i] = jsonFloat(data[i]);
  } else if (datatype === 'FP16') {
    for (let i = 0; i < n; i++) out[i] = jsonFloat(fromFloat16Bits(data[i]));
  } else if (datatype === 'BOOL') {
    for (let i = 0; i < n; i++) out[i] = data[i] !== 0;
  } else {
    for (let i = 0; i < n; i++) out[i] = data[i];
  }
  return out;
}

function jsonFloat(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}
