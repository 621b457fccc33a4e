import type { ModelRuntime } from '../../../functions/core/runtime/model-runtime';
import { DIGITS_CLASSES, DIGITS_FEATURES, type DigitsDataset } from './dataset';
import { DIGITS_INPUT, DIGITS_OUTPUT } from './export-onnx';
import { argmaxRows, predict, type Mlp } from './mlp';

/** How an exported model compares with the TypeScript forward pass. */
export interface OnnxVerification {
  /** Accuracy of the TypeScript forward pass on the data. */
  readonly typescriptAccuracy: number;
  /** Accuracy of the ONNX model on the runtime. */
  readonly onnxAccuracy: number;
  /** Rows where the two predict different digits. */
  readonly disagreements: number;
  /** Largest absolute difference between the two's probabilities. */
  readonly maxAbsDiff: number;
}

/**
 * Runs the exported model on a runtime (onnxruntime-web in the CLI) over `data` and
 * compares it with the TypeScript forward pass of the network it was exported from.
 *
 * @example
 * const check = await verifyDigitsOnnx(bytes, result.mlp, heldOut, await WasmRuntime.create());
 * check.onnxAccuracy === check.typescriptAccuracy; // true
 */
export async function verifyDigitsOnnx(
  bytes: Uint8Array,
  mlp: Mlp,
  data: DigitsDataset,
  runtime: ModelRuntime,
): Promise<OnnxVerification> {
  const model = await runtime.load(bytes);
  try {
    const outputs = await model.run({
      [DIGITS_INPUT]: { datatype: 'FP32', shape: [data.count, DIGITS_FEATURES], data: data.features },
    });
    const onnx = outputs[DIGITS_OUTPUT]?.data;
    if (!(onnx instanceof Float32Array) || onnx.length !== data.count * DIGITS_CLASSES) {
      throw new Error(`the model did not return ${DIGITS_OUTPUT} FP32 [${data.count}, ${DIGITS_CLASSES}]`);
    }
    const typescript = predict(mlp, data.features, data.count);
    const onnxLabels = argmaxRows(onnx, DIGITS_CLASSES);
    const typescriptLabels = argmaxRows(typescript, DIGITS_CLASSES);
    let onnxCorrect = 0;
    let typescriptCorrect = 0;
    let disagreements = 0;
    for (let row = 0; row < data.count; row++) {
      if (onnxLabels[row] === data.labels[row]) onnxCorrect++;
      if (typescriptLabels[row] === data.labels[row]) typescriptCorrect++;
      if (onnxLabels[row] !== typescriptLabels[row]) disagreements++;
    }
    let maxAbsDiff = 0;
    for (let i = 0; i < onnx.length; i++)
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(onnx[i] - typescript[i]));
    return {
      typescriptAccuracy: typescriptCorrect / data.count,
      onnxAccuracy: onnxCorrect / data.count,
      disagreements,
      maxAbsDiff,
    };
  } finally {
    await model.release();
  }
}
