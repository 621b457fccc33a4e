import type { Datatype } from './datatypes';

/**
 * Tensor payload in memory. Numeric datatypes use the matching typed array; FP16 is
 * carried as raw IEEE half bits in a `Uint16Array`; BOOL as 0/1 in a `Uint8Array`;
 * 64-bit integers as `BigInt64Array`/`BigUint64Array`; BYTES as strings.
 */
export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[];

/** A tensor independent of any runtime. */
export interface Tensor {
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/**
 * Number of elements of a shape: the product of its dimensions, 1 for a scalar (`[]`).
 *
 * @example
 * elementCount([2, 3]); // 6
 */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/**
 * Whether `data` is the in-memory representation of `datatype` (see {@link TensorData}).
 * Runtimes use it to check what they hand over before it reaches the codec.
 */
export function isTensorDataOf(datatype: Datatype, data: TensorData): boolean {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return data instanceof Uint8Array;
    case 'INT8':
      return data instanceof Int8Array;
    case 'UINT16':
    case 'FP16':
      return data instanceof Uint16Array;
    case 'INT16':
      return data instanceof Int16Array;
    case 'UINT32':
      return data instanceof Uint32Array;
    case 'INT32':
      return data instanceof Int32Array;
    case 'UINT64':
      return data instanceof BigUint64Array;
    case 'INT64':
      return data instanceof BigInt64Array;
    case 'FP32':
      return data instanceof Float32Array;
    case 'FP64':
      return data instanceof Float64Array;
    case 'BYTES':
      return Array.isArray(data);
  }
}
