import type { TensorSpec } from '../../functions/core/tensors/datatypes';
import { MAX_REQUEST_ELEMENTS } from '../../functions/core/tensors/oip-codec';
import { elementCount, type Tensor } from '../../functions/core/tensors/tensor';
import { decodeTensorData, formatShape } from '../../functions/core/tensors/tensor-json';
import { decodeBinaryTensor, readInferBody } from '../../functions/core/triton/binary-tensors';

/** An infer request as the local Triton reads it, checked against the model. */
export interface TritonRequest {
  readonly id?: string;
  readonly inputs: Record<string, Tensor>;
  /** The outputs to answer, in order, each with whether it goes back as binary data. */
  readonly outputs: readonly { readonly name: string; readonly binary: boolean }[];
}

/** A request Triton refuses (400); the message says why, in Triton's words where it has some. */
export class TritonRequestError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TritonRequestError';
  }
}

/**
 * Reads an infer request the way Triton's SageMaker server does: JSON, or a JSON header and
 * binary tensor data with the header's length in the content type (`binary-tensors.ts`);
 * inputs checked against the model's by name, datatype and shape; outputs as requested
 * (all, in the model's order, when none is named), each binary when its
 * `parameters.binary_data` says so or, failing that, the request's `binary_data_output`.
 * Throws {@link TritonRequestError} for anything Triton would refuse, and
 * `TritonBodyError` (also a 400) for a body that does not follow the binary extension.
 */
export function readTritonRequest(
  body: Uint8Array,
  contentType: string | undefined,
  model: {
    readonly name: string;
    readonly inputs: readonly TensorSpec[];
    readonly outputs: readonly TensorSpec[];
  },
): TritonRequest {
  const { header, tensors } = readInferBody(body, contentType, 'inputs');
  const specs = new Map(model.inputs.map((spec) => [spec.name, spec]));
  const inputs: Record<string, Tensor> = Object.create(null);
  let total = 0;
  for (const { entry, binary } of tensors) {
    const { name } = entry;
    if (typeof name !== 'string') throw new TritonRequestError('an input has no name');
    const spec = specs.get(name);
    if (spec === undefined) {
      throw new TritonRequestError(`unexpected inference input '${name}' for model '${model.name}'`);
    }
    if (Object.hasOwn(inputs, name)) throw new TritonRequestError(`input '${name}' is given more than once`);
    if (entry.datatype !== spec.datatype) {
      throw new TritonRequestError(
        `inference input '${name}' data-type is '${String(entry.datatype)}', but model '${model.name}' expects '${spec.datatype}'`,
      );
    }
    const shape = shapeOf(entry.shape);
    if (
      shape === undefined ||
      shape.length !== spec.shape.length ||
      shape.some((dim, d) => spec.shape[d] !== -1 && spec.shape[d] !== dim)
    ) {
      throw new TritonRequestError(
        `unexpected shape for input '${name}' for model '${model.name}'. Expected ${formatShape(spec.shape)}, got ${JSON.stringify(entry.shape)}`,
      );
    }
    const count = elementCount(shape);
    total += count;
    if (total > MAX_REQUEST_ELEMENTS) {
      throw new TritonRequestError(
        `input '${name}' brings the request to ${total} elements, more than it can hold`,
      );
    }
    const data =
      binary === undefined
        ? decodeTensorData({ name, datatype: spec.datatype, shape, count }, entry.data).data
        : decodeBinaryTensor(spec.datatype, shape, binary, `input '${name}'`);
    inputs[name] = { datatype: spec.datatype, shape, data };
  }
  const missing = model.inputs.filter((spec) => !Object.hasOwn(inputs, spec.name));
  if (missing.length > 0) {
    throw new TritonRequestError(
      `expected ${model.inputs.length} inputs but got ${tensors.length} inputs for model '${model.name}': ${missing.map((spec) => `'${spec.name}'`).join(', ')} missing`,
    );
  }
  const { id } = header;
  return {
    ...(typeof id === 'string' ? { id } : {}),
    inputs,
    outputs: requestedOutputs(header, model),
  };
}

function requestedOutputs(
  header: Readonly<Record<string, unknown>>,
  model: { readonly name: string; readonly outputs: readonly TensorSpec[] },
): TritonRequest['outputs'] {
  const allBinary = flag(header.parameters, 'binary_data_output') ?? false;
  const listed = header.outputs;
  if (listed === undefined || (Array.isArray(listed) && listed.length === 0)) {
    return model.outputs.map((spec) => ({ name: spec.name, binary: allBinary }));
  }
  if (!Array.isArray(listed)) throw new TritonRequestError("'outputs' must be an array");
  const known = new Set(model.outputs.map((spec) => spec.name));
  return listed.map((output: unknown) => {
    const name = isObject(output) ? output.name : undefined;
    if (typeof name !== 'string') throw new TritonRequestError('a requested output has no name');
    if (!known.has(name)) {
      throw new TritonRequestError(`unexpected inference output '${name}' for model '${model.name}'`);
    }
    return {
      name,
      binary: flag(isObject(output) ? output.parameters : undefined, 'binary_data') ?? allBinary,
    };
  });
}

function flag(parameters: unknown, key: string): boolean | undefined {
  if (!isObject(parameters)) return undefined;
  const value = parameters[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new TritonRequestError(`parameter '${key}' must be a boolean`);
  return value;
}

function shapeOf(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const dims = value.map(Number);
  return value.every((dim) => typeof dim === 'number' && Number.isSafeInteger(dim) && dim >= 0)
    ? dims
    : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
