import type { InferenceSession, OnnxValue, Tensor as OrtTensor } from 'onnxruntime-web';
import { BadRequestError, InfergateError } from '../../core/errors';
import { type LoadedModel, ModelLoadError } from '../../core/runtime/model-runtime';
import { DATATYPES, type Datatype, type TensorSpec } from '../../core/tensors/datatypes';
import type { Tensor } from '../../core/tensors/tensor';
import { cleanOrtMessage, toModelLoadError } from './load-errors';

/**
 * What the adapters need of an onnxruntime package. onnxruntime-web and onnxruntime-node
 * both re-export onnxruntime-common, so this one type (taken from onnxruntime-web, a
 * production dependency) fits either module, and the conversion code below serves both.
 */
export interface OrtModule {
  readonly InferenceSession: {
    create(buffer: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  readonly Tensor: typeof OrtTensor;
}

/** onnxruntime tensor type of each platform datatype. */
export const ORT_TYPES: Readonly<Record<Datatype, OrtTensor.Type>> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

const DATATYPE_OF_ORT_TYPE = new Map<string, Datatype>(
  DATATYPES.map((datatype) => [ORT_TYPES[datatype], datatype]),
);

// Failures that say nothing about the request: out of memory, a dead WASM instance.
const RUNTIME_FAILURE =
  /bad_alloc|bad allocation|out of memory|memory access out of bounds|Aborted\(|disposed|released/i;
// What onnxruntime reports when the inputs do not fit the graph: declared dims or types,
// or a kernel that refuses the values (broadcast of unequal axes, Reshape, Gather bounds).
// The native binding says "Non-zero status code returned while running <op> node"; the
// WASM one "failed to call OrtRun(). ERROR_CODE: <n>" with ORT_FAIL (1), ORT_INVALID_ARGUMENT
// (2) or ORT_RUNTIME_EXCEPTION (6).
const INPUT_FAILURE =
  /Got invalid dimensions for input|Invalid rank for input|Unexpected input data type|is missing in 'feeds'|Non-zero status code returned while running|failed to call OrtRun\(\)\. ERROR_CODE: [126],/;

/**
 * A model held by an onnxruntime session. Both runtimes load through {@link OrtModel.create}.
 */
export class OrtModel implements LoadedModel {
  public readonly inputs: readonly TensorSpec[];
  public readonly outputs: readonly TensorSpec[];
  public readonly sizeBytes: number;
  private readonly ort: OrtModule;
  private readonly session: InferenceSession;

  private constructor(ort: OrtModule, session: InferenceSession, sizeBytes: number) {
    this.ort = ort;
    this.session = session;
    this.sizeBytes = sizeBytes;
    this.inputs = session.inputMetadata.map((value) => toTensorSpec(value, 'input'));
    this.outputs = session.outputMetadata.map((value) => toTensorSpec(value, 'output'));
  }

  /**
   * Creates a session from model bytes. Throws `ModelLoadError` (502 `model_load_failed`,
   * with the reason classified) when onnxruntime refuses the model or the model has inputs
   * or outputs the platform cannot carry.
   */
  public static async create(
    ort: OrtModule,
    bytes: Uint8Array,
    options: InferenceSession.SessionOptions,
  ): Promise<OrtModel> {
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, options);
    } catch (error) {
      throw toModelLoadError(error);
    }
    try {
      // The session keeps the weights; the artifact size is the best cheap estimate of them.
      return new OrtModel(ort, session, bytes.byteLength);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  public async run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(this.ort, name, tensor);
    let results: InferenceSession.ReturnType;
    try {
      results =
        outputNames === undefined
          ? await this.session.run(ortFeeds)
          : await this.session.run(ortFeeds, [...outputNames]);
    } catch (error) {
      throw translateRunError(error);
    }
    const outputs: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results)) outputs[name] = fromOrtValue(name, value);
    return outputs;
  }

  public async release(): Promise<void> {
    await this.session.release();
  }
}

/** Converts a platform tensor to an onnxruntime tensor; the data is shared, not copied. */
export function toOrtTensor(ort: OrtModule, name: string, tensor: Tensor): OrtTensor {
  const { datatype, data } = tensor;
  const dims = [...tensor.shape];
  switch (datatype) {
    case 'BOOL':
      if (data instanceof Uint8Array) return new ort.Tensor('bool', data, dims);
      break;
    case 'UINT8':
      if (data instanceof Uint8Array) return new ort.Tensor('uint8', data, dims);
      break;
    case 'UINT16':
      if (data instanceof Uint16Array) return new ort.Tensor('uint16', data, dims);
      break;
    case 'UINT32':
      if (data instanceof Uint32Array) return new ort.Tensor('uint32', data, dims);
      break;
    case 'UINT64':
      if (data instanceof BigUint64Array) return new ort.Tensor('uint64', data, dims);
      break;
    case 'INT8':
      if (data instanceof Int8Array) return new ort.Tensor('int8', data, dims);
      break;
    case 'INT16':
      if (data instanceof Int16Array) return new ort.Tensor('int16', data, dims);
      break;
    case 'INT32':
      if (data instanceof Int32Array) return new ort.Tensor('int32', data, dims);
      break;
    case 'INT64':
      if (data instanceof BigInt64Array) return new ort.Tensor('int64', data, dims);
      break;
    case 'FP16':
      if (data instanceof Uint16Array) return new ort.Tensor('float16', data, dims);
      break;
    case 'FP32':
      if (data instanceof Float32Array) return new ort.Tensor('float32', data, dims);
      break;
    case 'FP64':
      if (data instanceof Float64Array) return new ort.Tensor('float64', data, dims);
      break;
    case 'BYTES':
      if (Array.isArray(data)) return new ort.Tensor('string', data, dims);
      break;
  }
  throw new TypeError(`input '${name}': ${datatype} data cannot be a ${data.constructor.name}`);
}

/** Converts an onnxruntime output to a platform tensor. */
export function fromOrtValue(name: string, value: OnnxValue): Tensor {
  const datatype = DATATYPE_OF_ORT_TYPE.get(value.type);
  if (datatype === undefined) {
    throw new InfergateError(
      500,
      'unsupported_output',
      `output '${name}' has type ${value.type}, not served`,
    );
  }
  const shape = value.dims.map(Number);
  const data = value.data;
  if (datatype === 'FP16' && !(data instanceof Uint16Array) && ArrayBuffer.isView(data)) {
    // Where a Float16Array exists (Node 24+), onnxruntime returns one; FP16 is carried as bits.
    return { datatype, shape, data: new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) };
  }
  if (
    data instanceof Uint8Array ||
    data instanceof Int8Array ||
    data instanceof Uint16Array ||
    data instanceof Int16Array ||
    data instanceof Uint32Array ||
    data instanceof Int32Array ||
    data instanceof BigUint64Array ||
    data instanceof BigInt64Array ||
    data instanceof Float32Array ||
    data instanceof Float64Array ||
    Array.isArray(data)
  ) {
    return { datatype, shape, data };
  }
  throw new InfergateError(
    500,
    'unsupported_output',
    `output '${name}' of type ${value.type} has no CPU data`,
  );
}

function toTensorSpec(value: InferenceSession.ValueMetadata, role: 'input' | 'output'): TensorSpec {
  const datatype = value.isTensor ? DATATYPE_OF_ORT_TYPE.get(value.type) : undefined;
  if (!value.isTensor || datatype === undefined) {
    const type = value.isTensor ? value.type : 'a non-tensor value';
    throw new ModelLoadError(
      { kind: 'unsupported_model' },
      `the model's ${role} '${value.name}' is ${type}, which the Open Inference Protocol cannot carry`,
    );
  }
  return { name: value.name, datatype, shape: value.shape.map(toDim) };
}

/**
 * Symbolic dimensions come as names; unnamed ones as '' from onnxruntime-node and as
 * 4294967295 (-1 read as uint32) from onnxruntime-web. All of them mean any size.
 */
function toDim(dim: number | string): number {
  return typeof dim === 'number' && Number.isInteger(dim) && dim >= 0 && dim <= 0x7fffffff ? dim : -1;
}

/**
 * Errors of `session.run` caused by the inputs become `BadRequestError`
 * `inference_failed`; others (memory, a released session) stay internal failures.
 */
export function translateRunError(error: unknown): unknown {
  const message = reason(error);
  if (RUNTIME_FAILURE.test(message) || !INPUT_FAILURE.test(message)) return error;
  return new BadRequestError(
    'inference_failed',
    `the model cannot run on these inputs: ${cleanOrtMessage(message)}`,
    {
      cause: error,
    },
  );
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
