/** The digits recipe: data, training, ONNX export and verification of a digit classifier. */
export {
  DIGITS_CLASSES,
  DIGITS_DATA_FILE,
  DIGITS_FEATURES,
  loadDigits,
  parseDigitsCsv,
  selectRows,
  stratifiedSplit,
  type DigitsDataset,
  type DigitsSplit,
} from './dataset';
export {
  DIGITS_INPUT,
  DIGITS_METADATA,
  DIGITS_OUTPUT,
  DIGITS_RECIPE,
  digitsMetadata,
  exportDigitsModel,
  exportMlpOnnx,
} from './export-onnx';
export { argmaxRows, createMlp, predict, type DenseLayer, type Mlp } from './mlp';
export {
  DIGITS_DEFAULTS,
  digitsSplit,
  evaluate,
  trainDigits,
  type DigitsTrainingConfig,
  type DigitsTrainingOptions,
  type DigitsTrainingResult,
  type EpochMetrics,
} from './train';
export { verifyDigitsOnnx, type OnnxVerification } from './verify-onnx';
