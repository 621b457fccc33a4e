import { encodeTensorData } from '../tensors/tensor-json';
import type { Tensor } from '../tensors/tensor';

/**
 * Open Inference Protocol JSON as Triton reads and writes it, exact over 64-bit integers.
 * Triton reads and writes INT64 and UINT64 data as bare JSON integers of any size, which
 * `JSON.stringify` cannot write and `JSON.parse` rounds beyond 2^53; these helpers write
 * them digit for digit and read the long ones back as decimal strings, which the platform's
 * codec (`tensor-json.ts`) takes exactly. Everything else is the platform's codec: in
 * particular non-finite floats travel as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
 */

/** One named tensor of a request's `inputs` or a response's `outputs`. */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: Tensor;
  /**
   * Set when the tensor's data travels as binary after the JSON (Triton's binary tensor
   * data extension, `binary-tensors.ts`): the entry then carries
   * `"parameters":{"binary_data_size":<n>}` instead of `data`.
   */
  readonly binaryDataSize?: number;
}

/**
 * The body of an infer request: `inputs` in order, the requested `outputs` (all when
 * absent) and the request id. With `binaryOutputs`, every output is asked for as binary
 * data (`parameters.binary_data_output`, and `binary_data` on each requested output).
 *
 * @example
 * stringifyInferRequest({ inputs: [{ name: 'x', tensor: { datatype: 'INT64', shape: [1], data: new BigInt64Array([2n ** 62n]) } }] });
 * // '{"inputs":[{"name":"x","datatype":"INT64","shape":[1],"data":[4611686018427387904]}]}'
 */
export function stringifyInferRequest(request: {
  readonly id?: string;
  readonly inputs: readonly NamedTensor[];
  readonly outputNames?: readonly string[];
  readonly binaryOutputs?: boolean;
}): string {
  const binary = request.binaryOutputs === true;
  const parts: string[] = [];
  if (request.id !== undefined) parts.push(`"id":${JSON.stringify(request.id)}`);
  parts.push(`"inputs":[${request.inputs.map(tensorJson).join(',')}]`);
  if (request.outputNames !== undefined) {
    const outputs = request.outputNames.map((name) =>
      binary ? { name, parameters: { binary_data: true } } : { name },
    );
    parts.push(`"outputs":${JSON.stringify(outputs)}`);
  }
  if (binary) parts.push('"parameters":{"binary_data_output":true}');
  return `{${parts.join(',')}}`;
}

/** The body of an infer response, outputs in order. */
export function stringifyInferResponse(response: {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id?: string;
  readonly outputs: readonly NamedTensor[];
}): string {
  const parts = [
    `"model_name":${JSON.stringify(response.modelName)}`,
    `"model_version":${JSON.stringify(response.modelVersion)}`,
  ];
  if (response.id !== undefined) parts.push(`"id":${JSON.stringify(response.id)}`);
  parts.push(`"outputs":[${response.outputs.map(tensorJson).join(',')}]`);
  return `{${parts.join(',')}}`;
}

// A JSON string (skipped), or an integer token of 16 digits or more: beyond 2^53 a double
// may not hold it. The lookbehind keeps fractions and exponents out; the lookahead ends the token.
const LONG_INTEGER = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])(-?\d{16,})(?=\s*[,\]}])/g;

/**
 * Parses Triton JSON, reading integers of 16 digits or more in INT64 and UINT64 data as
 * decimal strings, so that none is rounded. Throws `SyntaxError` for text that is not JSON.
 *
 * @example
 * parseInferJson('{"outputs":[{"name":"y","datatype":"UINT64","shape":[1],"data":[18446744073709551615]}]}');
 * // { outputs: [{ name: 'y', datatype: 'UINT64', shape: [1], data: ['18446744073709551615'] }] }
 */
export function parseInferJson(text: string): unknown {
  // Only 64-bit data can hold integers beyond 2^53; without any, the text is parsed as it is.
  if (!text.includes('INT64"')) return JSON.parse(text);
  const parsed: unknown = JSON.parse(
    text.replace(LONG_INTEGER, (token, integer: string | undefined) =>
      integer === undefined ? token : `"${integer}"`,
    ),
  );
  if (typeof parsed === 'object' && parsed !== null) {
    for (const field of ['inputs', 'outputs']) {
      const tensors: unknown = Reflect.get(parsed, field);
      if (Array.isArray(tensors)) tensors.forEach(restoreNumbers);
    }
  }
  return parsed;
}

/** Outside 64-bit integer data, the long integers quoted for parsing were numbers. */
function restoreNumbers(tensor: unknown): void {
  if (typeof tensor !== 'object' || tensor === null) return;
  const datatype: unknown = Reflect.get(tensor, 'datatype');
  const data: unknown = Reflect.get(tensor, 'data');
  if (datatype === 'INT64' || datatype === 'UINT64' || datatype === 'BYTES' || !Array.isArray(data)) return;
  Reflect.set(tensor, 'data', unquote(data));
}

function unquote(values: readonly unknown[]): unknown[] {
  return values.map((value) =>
    Array.isArray(value)
      ? unquote(value)
      : typeof value === 'string' && /^-?\d{16,}$/.test(value)
        ? Number(value)
        : value,
  );
}

function tensorJson({ name, tensor, binaryDataSize }: NamedTensor): string {
  const head = `"name":${JSON.stringify(name)},"datatype":"${tensor.datatype}","shape":[${tensor.shape.join(',')}]`;
  if (binaryDataSize !== undefined) return `{${head},"parameters":{"binary_data_size":${binaryDataSize}}}`;
  const { data } = tensor;
  const values =
    data instanceof BigInt64Array || data instanceof BigUint64Array
      ? `[${data.join(',')}]`
      : JSON.stringify(encodeTensorData(tensor));
  return `{${head},"data":${values}}`;
}
