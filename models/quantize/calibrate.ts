import { onnx } from 'onnx-proto';
import type { ModelRuntime } from '../../functions/core/runtime/model-runtime';
import type { Tensor } from '../../functions/core/tensors/tensor';
import { QuantizeError } from './errors';
import { ELEM_TYPE, decodeModel, encodeModel } from './onnx-graph';

/** Inputs of one model run, by input name. */
export type Feeds = Readonly<Record<string, Tensor>>;

/** Smallest and largest value a tensor took over the calibration data. */
export interface TensorRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Runs a float model on calibration samples and records the range of the named
 * intermediate tensors, which become extra graph outputs of a copy of the model.
 */
export async function collectRanges(
  model: onnx.IModelProto,
  tensors: readonly string[],
  samples: readonly Feeds[],
  runtime: ModelRuntime,
): Promise<Map<string, TensorRange>> {
  if (samples.length === 0) {
    throw new QuantizeError(
      'invalid_option',
      'calibration: static-int8 needs at least one calibration sample',
    );
  }
  const copy = decodeModel(encodeModel(model));
  const outputs = copy.graph.output ?? [];
  const declared = new Set(outputs.map((value) => value.name));
  for (const name of tensors) {
    if (declared.has(name)) continue;
    outputs.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: ELEM_TYPE.FLOAT } } }));
  }
  copy.graph.output = outputs;
  const loaded = await runtime.load(encodeModel(copy.model));
  const ranges = new Map<string, { min: number; max: number }>();
  try {
    for (const [index, feeds] of samples.entries()) {
      let results: Record<string, Tensor>;
      try {
        results = await loaded.run(feeds, tensors);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new QuantizeError(
          'calibration_failed',
          `calibration sample ${index}: the model failed: ${reason}`,
          {
            cause: error,
          },
        );
      }
      for (const name of tensors) {
        const data = results[name]?.data;
        if (!(data instanceof Float32Array)) continue;
        const range = ranges.get(name) ?? { min: Infinity, max: -Infinity };
        for (const value of data) {
          if (value < range.min) range.min = value;
          if (value > range.max) range.max = value;
        }
        ranges.set(name, range);
      }
    }
  } finally {
    await loaded.release();
  }
  return ranges;
}
