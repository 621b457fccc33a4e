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
