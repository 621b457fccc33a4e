import { BadRequestError } from '../errors';
import type { Datatype, TensorSpec } from '../tensors/datatypes';

/**
 * The Triton Inference Server model configuration (`config.pbtxt`) of an ONNX model on the
 * `sagemaker` tier, derived from the graph's declared inputs and outputs. Pure.
 *
 * Batching: when every input and output has a dynamic first dimension (rank 2 or more),
 * that dimension is the batch: the config declares `max_batch_size` and dynamic batching,
 * and the dims of each tensor leave it out. Otherwise `max_batch_size` is 0 and the dims
 * are the full shape, as Triton requires.
 */

/** Triton's `data_type` of each platform datatype (BYTES is Triton's STRING). */
export const TRITON_DATA_TYPES: Readonly<Record<Datatype, string>> = {
  BOOL: 'TYPE_BOOL',
  UINT8: 'TYPE_UINT8',
  UINT16: 'TYPE_UINT16',
  UINT32: 'TYPE_UINT32',
  UINT64: 'TYPE_UINT64',
  INT8: 'TYPE_INT8',
  INT16: 'TYPE_INT16',
  INT32: 'TYPE_INT32',
  INT64: 'TYPE_INT64',
  FP16: 'TYPE_FP16',
  FP32: 'TYPE_FP32',
  FP64: 'TYPE_FP64',
  BYTES: 'TYPE_STRING',
};

export interface TritonTensorConfig {
  readonly name: string;
  readonly dataType: string;
  /** Without the batch dimension when `maxBatchSize` > 0; `-1` is variable. */
  readonly dims: readonly number[];
}

export interface TritonModelConfig {
  /** The model's name: also the name of its directory in the repository. */
  readonly name: string;
  readonly backend: 'onnxruntime';
  /** 0 when the model does not batch on its first dimension. */
  readonly maxBatchSize: number;
  readonly inputs: readonly TritonTensorConfig[];
  readonly outputs: readonly TritonTensorConfig[];
  /** Present when `maxBatchSize` > 0. */
  readonly dynamicBatching?: { readonly maxQueueDelayMicroseconds: number };
  readonly instanceGroup: { readonly kind: 'KIND_GPU' | 'KIND_CPU'; readonly count: number };
}

export interface TritonConfigOptions {
  /**
   * Largest batch Triton forms or accepts, for models that batch.
   * @default 16
   */
  readonly maxBatchSize?: number;
  /**
   * How long Triton may hold a request to batch it with others.
   * @default 500 microseconds
   */
  readonly maxQueueDelayMicroseconds?: number;
  /**
   * Where the model runs, and how many copies per device.
   * @default { kind: 'KIND_GPU', count: 1 }
   */
  readonly instanceGroup?: TritonModelConfig['instanceGroup'];
}

export const DEFAULT_MAX_BATCH_SIZE = 16;
export const DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS = 500;

/**
 * Builds the Triton configuration of a model from its declared inputs and outputs.
 * Throws `BadRequestError` `unsupported_model` for a model Triton cannot serve (a scalar at
 * its boundary), naming the tensor. Every datatype serves: the tier sends and receives
 * tensors as binary data (`binary-tensors.ts`), which carries FP16 as Triton's JSON does not.
 *
 * @example
 * const config = tritonModelConfig('digits', {
 *   inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 64] }],
 *   outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
 * });
 * config.maxBatchSize; // 16
 * config.inputs[0].dims; // [64]
 */
export function tritonModelConfig(
  name: string,
  schema: { readonly inputs: readonly TensorSpec[]; readonly outputs: readonly TensorSpec[] },
  options: TritonConfigOptions = {},
): TritonModelConfig {
  const maxBatch = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  const delay = options.maxQueueDelayMicroseconds ?? DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatch}`);
  }
  if (!Number.isInteger(delay) || delay < 0) {
    throw new RangeError(`maxQueueDelayMicroseconds must be a non-negative integer, got ${delay}`);
  }
  const tensors = [...schema.inputs, ...schema.outputs];
  for (const spec of tensors) {
    const role = schema.inputs.includes(spec) ? 'input' : 'output';
    const refuse = (why: string) =>
      new BadRequestError(
        'unsupported_model',
        `the model cannot be served on the sagemaker tier: ${role} '${spec.name}' ${why}`,
      );
    if (spec.shape.length === 0) {
      // Triton's dims need at least one entry; a scalar would need a reshape both ways.
      throw refuse('is a scalar (shape []), which Triton does not take; give it shape [1]');
    }
  }
  const batches =
    tensors.length > 0 && tensors.every((spec) => spec.shape.length >= 2 && spec.shape[0] === -1);
  const toConfig = (spec: TensorSpec): TritonTensorConfig => ({
    name: spec.name,
    dataType: TRITON_DATA_TYPES[spec.datatype],
    dims: batches ? spec.shape.slice(1) : [...spec.shape],
  });
  return {
    name,
    backend: 'onnxruntime',
    maxBatchSize: batches ? maxBatch : 0,
    inputs: schema.inputs.map(toConfig),
    outputs: schema.outputs.map(toConfig),
    ...(batches ? { dynamicBatching: { maxQueueDelayMicroseconds: delay } } : {}),
    instanceGroup: options.instanceGroup ?? { kind: 'KIND_GPU', count: 1 },
  };
}

/**
 * Writes a configuration in Triton's protobuf text format (`config.pbtxt`).
 *
 * @example
 * await writeFile('repo/digits/config.pbtxt', formatConfigPbtxt(config));
 */
export function formatConfigPbtxt(config: TritonModelConfig): string {
  const tensor = (spec: TritonTensorConfig): string[] => [
    '  {',
    `    name: ${quote(spec.name)}`,
    `    data_type: ${spec.dataType}`,
    `    dims: [ ${spec.dims.join(', ')} ]`,
    '  }',
  ];
  const list = (field: string, specs: readonly TritonTensorConfig[]): string[] => [
    `${field} [`,
    ...specs.flatMap((spec, index) => {
      const lines = tensor(spec);
      if (index < specs.length - 1) lines[lines.length - 1] = '  },';
      return lines;
    }),
    ']',
  ];
  const lines = [
    `name: ${quote(config.name)}`,
    `backend: ${quote(config.backend)}`,
    `max_batch_size: ${config.maxBatchSize}`,
    ...list('input', config.inputs),
    ...list('output', config.outputs),
  ];
  if (config.dynamicBatching !== undefined) {
    lines.push(
      'dynamic_batching {',
      `  max_queue_delay_microseconds: ${config.dynamicBatching.maxQueueDelayMicroseconds}`,
      '}',
    );
  }
  lines.push(
    'instance_group [',
    '  {',
    `    kind: ${config.instanceGroup.kind}`,
    `    count: ${config.instanceGroup.count}`,
    '  }',
    ']',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Reads back the top-level `name` and `max_batch_size` of a `config.pbtxt` written by
 * {@link formatConfigPbtxt}: what a server needs to route and batch. Throws `Error` when
 * either is missing.
 */
export function readConfigHeader(text: string): { name: string; maxBatchSize: number } {
  const name = /^name: "((?:[^"\\]|\\.)*)"$/m.exec(text)?.[1];
  const maxBatchSize = /^max_batch_size: (\d+)$/m.exec(text)?.[1];
  if (name === undefined || maxBatchSize === undefined) {
    throw new Error('config.pbtxt has no top-level name or max_batch_size');
  }
  return { name: unquote(name), maxBatchSize: Number(maxBatchSize) };
}

/** A protobuf text-format string literal. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function unquote(value: string): string {
  return value.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
}
