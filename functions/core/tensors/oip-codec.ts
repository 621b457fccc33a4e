/**
 * Open Inference Protocol (KServe v2) JSON codec: turns an infer request body into
 * tensors checked against the model's declared inputs, and output tensors into the
 * response body. Pure: no I/O, no runtime.
 *
 * Request rules:
 * - The body is an object with `inputs` (required) and the optional OIP fields `id`,
 *   `parameters` and `outputs`; any other field is refused (`invalid_request`).
 * - Every input of the model is given exactly once, under its name, with its datatype.
 *   `shape` has the model's rank; a model dimension of `-1` accepts any size, others must
 *   be equal. Dimensions are non-negative integers.
 * - `data` is flat (row-major) or nested exactly like `shape`. A scalar (shape `[]`) has
 *   `data` `5` or `[5]`. A tensor with a `0` dimension has `data` `[]`.
 * - BOOL: `true`/`false`. BYTES: strings, counted and handed to the model as UTF-8
 *   (lone surrogates are refused). Integers: JSON integers within the type's range.
 * - UINT64/INT64: JSON numbers that are safe integers (|v| <= 2^53-1), or decimal strings
 *   such as `"18446744073709551615"`, which are exact over the whole 64-bit range.
 * - FP16/FP32/FP64: JSON numbers, rounded to the nearest representable value (ties to
 *   even; magnitudes beyond the type's range become infinity, as in IEEE 754). JSON has
 *   no non-finite numbers, so the strings `"NaN"`, `"Infinity"` and `"-Infinity"` stand
 *   for them. FP16 travels in memory as IEEE half bits.
 * - At most {@link MAX_REQUEST_ELEMENTS} elements over all inputs.
 * - Binary tensor data (the `binary_data_size` / `binary_data` parameters of the
 *   binary extension) and `classification` outputs are not supported.
 * - `outputs` selects outputs by name; omitted or empty means all outputs.
 *
 * Response rules: `data` is always flat; 64-bit integers are JSON numbers when
 * |v| <= 2^53-1 and decimal strings otherwise; non-finite floats are the strings above;
 * BOOL is `true`/`false`; BYTES are strings.
 *
 * Errors are `BadRequestError` (400) with a message naming the input and what was
 * expected, and one of these codes: `invalid_request`, `unknown_input`, `missing_input`,
 * `duplicate_input`, `datatype_mismatch`, `shape_mismatch`, `size_mismatch`,
 * `invalid_data`, `unknown_output`, `too_many_elements`.
 *
 * @module
 */
import { BadRequestError } from '../errors';
import type { Datatype, TensorSpec } from './datatypes';
import { elementCount, type Tensor } from './tensor';
import {
  decodeTensorData,
  describe as describeValue,
  encodeTensorData,
  formatShape,
  type JsonTensorValue,
} from './tensor-json';

/**
 * Cap on the elements of one request, over all inputs. A 6 MB body holds about 3M
 * numbers, so this only refuses shapes that claim more than the data can carry, before
 * anything is allocated.
 */
export const MAX_REQUEST_ELEMENTS = 16 * 1024 * 1024;

/** An infer request decoded and validated against the model. */
export interface DecodedInferRequest {
  readonly id?: string;
  /** One tensor per model input, by name. */
  readonly inputs: Record<string, Tensor>;
  /** Requested outputs, in request order; undefined means all. */
  readonly outputNames?: string[];
  /** Bytes of input data in memory (UTF-8 bytes for BYTES), for metering. */
  readonly inputBytes: number;
}

/** One output of an infer response. */
export interface InferResponseOutput {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: number[];
  readonly data: JsonTensorValue[];
}

/** Body of an infer response. */
export interface InferResponseBody {
  readonly model_name: string;
  readonly model_version: string;
  readonly id?: string;
  readonly outputs: InferResponseOutput[];
}

const REQUEST_FIELDS = new Set(['id', 'parameters', 'inputs', 'outputs']);
const INPUT_FIELDS = new Set(['name', 'shape', 'datatype', 'data', 'parameters']);
const OUTPUT_FIELDS = new Set(['name', 'parameters']);

/**
 * Decodes and validates an infer request body against the model's inputs and outputs,
 * before anything runs. Throws `BadRequestError` (see the codes above).
 *
 * @example
 * const request = decodeInferRequest(
 *   { inputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [1, 2] }] },
 *   [{ name: 'x', datatype: 'FP32', shape: [-1] }],
 *   [{ name: 'y', datatype: 'FP32', shape: [-1] }],
 * );
 * request.inputs.x.data; // Float32Array [1, 2]
 */
export function decodeInferRequest(
  body: unknown,
  inputs: readonly TensorSpec[],
  outputs: readonly TensorSpec[],
): DecodedInferRequest {
  if (!isObject(body)) throw invalidRequest('the request body must be a JSON object');
  checkFields(body, REQUEST_FIELDS, 'the request body');
  const { id, parameters } = body;
  if (id !== undefined && typeof id !== 'string') throw invalidRequest("'id' must be a string");
  if (parameters !== undefined && !isObject(parameters))
    throw invalidRequest("'parameters' must be an object");
  if (!Array.isArray(body.inputs)) throw invalidRequest("'inputs' must be an array of input tensors");

  const specs = new Map(inputs.map((spec) => [spec.name, spec]));
  const decoded: Record<string, Tensor> = Object.create(null);
  let totalElements = 0;
  let inputBytes = 0;
  for (let i = 0; i < body.inputs.length; i++) {
    const input: unknown = body.inputs[i];
    if (!isObject(input)) throw invalidRequest(`inputs[${i}] must be an object`);
    const { name } = input;
    if (typeof name !== 'string') throw invalidRequest(`inputs[${i}].name must be a string`);
    checkFields(input, INPUT_FIELDS, `input '${name}'`);
    const spec = specs.get(name);
    if (spec === undefined) {
      throw new BadRequestError(
        'unknown_input',
        `input '${name}' is not an input of the model; expected ${listNames(inputs)}`,
      );
    }
    if (Object.hasOwn(decoded, name)) {
      throw new BadRequestError('duplicate_input', `input '${name}' is given more than once`);
    }
    checkParameters(input.parameters, `input '${name}'`, 'binary_data_size');
    if (typeof input.datatype !== 'string') {
      throw invalidRequest(`input '${name}': 'datatype' must be a string such as '${spec.datatype}'`);
    }
    if (input.datatype !== spec.datatype) {
      throw new BadRequestError(
        'datatype_mismatch',
        `input '${name}' has datatype ${input.datatype}; the model expects ${spec.datatype}`,
      );
    }
    const shape = checkShape(name, input.shape, spec);
    const count = countElements(name, shape);
    totalElements += count;
    if (totalElements > MAX_REQUEST_ELEMENTS) {
      throw new BadRequestError(
        'too_many_elements',
        `input '${name}' brings the request to ${totalElements} elements; the limit is ${MAX_REQUEST_ELEMENTS}`,
      );
    }
    if (input.data === undefined) throw invalidRequest(`input '${name}' has no 'data'`);
    const data = decodeTensorData({ name, datatype: spec.datatype, shape, count }, input.data);
    decoded[name] = { datatype: spec.datatype, shape, data: data.data };
    inputBytes += data.byteLength;
  }

  const missing = inputs.filter((spec) => !Object.hasOwn(decoded, spec.name));
  if (missing.length > 0) {
    throw new BadRequestError(
      'missing_input',
      missing.length === 1
        ? `input ${listNames(missing)} is missing; the model expects ${listNames(inputs)}`
        : `inputs ${listNames(missing)} are missing; the model expects ${listNames(inputs)}`,
    );
  }
  const outputNames = decodeOutputs(body.outputs, outputs);
  return {
    ...(id === undefined ? {} : { id }),
    inputs: decoded,
    ...(outputNames === undefined ? {} : { outputNames }),
    inputBytes,
  };
}

function decodeOutputs(value: unknown, outputs: readonly TensorSpec[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalidRequest("'outputs' must be an array of requested outputs");
  const known = new Set(outputs.map((spec) => spec.name));
  const names: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const output: unknown = value[i];
    if (!isObject(output)) throw invalidRequest(`outputs[${i}] must be an object`);
    const { name } = output;
    if (typeof name !== 'string') throw invalidRequest(`outputs[${i}].name must be a string`);
    checkFields(output, OUTPUT_FIELDS, `output '${name}'`);
    checkParameters(output.parameters, `output '${name}'`, 'binary_data', 'classification');
    if (!known.has(name)) {
      throw new BadRequestError(
        'unknown_output',
        `output '${name}' is not an output of the model; expected ${listNames(outputs)}`,
      );
    }
    if (names.includes(name)) throw invalidRequest(`output '${name}' is requested more than once`);
    names.push(name);
  }
  return names.length === 0 ? undefined : names;
}

function checkShape(name: string, value: unknown, spec: TensorSpec): number[] {
  if (!Array.isArray(value)) throw invalidRequest(`input '${name}': 'shape' must be an array of integers`);
  const expected = `the model expects ${formatShape(spec.shape)}${spec.shape.includes(-1) ? ' (-1 means any size)' : ''}`;
  const shape: number[] = [];
  for (let d = 0; d < value.length; d++) {
    const dim: unknown = value[d];
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new BadRequestError(
        'shape_mismatch',
        `input '${name}': shape[${d}] is ${describeValue(dim)}, expected a non-negative integer`,
      );
    }
    shape.push(dim);
  }
  if (shape.length !== spec.shape.length) {
    throw new BadRequestError(
      'shape_mismatch',
      `input '${name}' has shape ${formatShape(shape)} of rank ${shape.length}; ${expected}`,
    );
  }
  for (let d = 0; d < shape.length; d++) {
    const want = spec.shape[d];
    if (want !== undefined && want >= 0 && want !== shape[d]) {
      throw new BadRequestError(
        'shape_mismatch',
        `input '${name}' has shape ${formatShape(shape)}; ${expected} (dimension ${d} must be ${want})`,
      );
    }
  }
  return shape;
}

function countElements(name: string, shape: readonly number[]): number {
  const count = elementCount(shape);
  // A zero dimension makes any other product harmless; without one, a product above the
  // cap is refused here, before the data is looked at.
  if (count > MAX_REQUEST_ELEMENTS) {
    throw new BadRequestError(
      'too_many_elements',
      `input '${name}' has shape ${formatShape(shape)} with ${count} elements; the limit is ${MAX_REQUEST_ELEMENTS}`,
    );
  }
  return count;
}

/** Parameters are free-form, except those of protocol extensions the platform lacks. */
function checkParameters(value: unknown, owner: string, ...unsupported: string[]): void {
  if (value === undefined) return;
  if (!isObject(value)) throw invalidRequest(`${owner}: 'parameters' must be an object`);
  for (const key of unsupported) {
    if (value[key] !== undefined && value[key] !== false) {
      throw invalidRequest(`${owner}: parameter '${key}' is not supported; send tensor data as JSON`);
    }
  }
}

function checkFields(value: Record<string, unknown>, allowed: ReadonlySet<string>, owner: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw invalidRequest(
        `${owner} has an unknown field '${key}'; allowed fields are ${[...allowed].join(', ')}`,
      );
    }
  }
}

/**
 * Builds an infer response body. `order` lists the outputs to return, in order (usually
 * the requested outputs, or all outputs of the model).
 *
 * @example
 * encodeInferResponse({
 *   modelName: 'add',
 *   modelVersion: '1',
 *   outputs: { y: { datatype: 'FP32', shape: [1], data: new Float32Array([3]) } },
 *   order: ['y'],
 * });
 * // { model_name: 'add', model_version: '1', outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: [3] }] }
 */
export function encodeInferResponse(args: {
  modelName: string;
  modelVersion: string;
  id?: string;
  outputs: Record<string, Tensor>;
  order: readonly string[];
}): InferResponseBody {
  const outputs = args.order.map((name): InferResponseOutput => {
    const tensor = Object.hasOwn(args.outputs, name) ? args.outputs[name] : undefined;
    // The runtime returns what was asked for; a gap here is a bug, not a bad request.
    if (tensor === undefined) throw new Error(`output '${name}' was not produced by the model`);
    return { name, datatype: tensor.datatype, shape: [...tensor.shape], data: encodeTensorData(tensor) };
  });
  return {
    model_name: args.modelName,
    model_version: args.modelVersion,
    ...(args.id === undefined ? {} : { id: args.id }),
    outputs,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidRequest(message: string): BadRequestError {
  return new BadRequestError('invalid_request', message);
}

function listNames(specs: readonly TensorSpec[]): string {
  return specs.map((spec) => `'${spec.name}'`).join(', ');
}
