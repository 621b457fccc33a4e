/**
 * Model quantization written in TypeScript over the ONNX graph (dynamic and static int8,
 * fp16), and the evaluation that compares a quantized model with its original.
 */
export { collectRanges, type Feeds, type TensorRange } from './calibrate';
export { QuantizeError, type QuantizeErrorCode } from './errors';
export {
  compareModels,
  latencyFeeds,
  measureLatencies,
  type Agreement,
  type EvaluationSet,
  type LatencyOptions,
  type LatencyStats,
} from './evaluate';
export {
  INT8_FORMATS,
  QUANTIZATION_METADATA_KEY,
  QUANTIZE_MODES,
  quantizeModel,
  type Int8Format,
  type QuantizeMode,
  type QuantizeOptions,
  type QuantizedModel,
} from './quantize-model';
export {
  activationParams,
  dequantize,
  quantizeBiasInt32,
  quantizeInt8Symmetric,
  quantizeUint8Symmetric,
  type ActivationParams,
  type Int8Weights,
  type Uint8Weights,
} from './quantization-math';
export {
  buildQuantizeReport,
  modelFacts,
  type LatencyComparison,
  type ModelFacts,
  type QuantizeReport,
  type ReportOptions,
} from './report';
export {
  decodeSamples,
  randomEvaluationSet,
  randomSamples,
  readSamples,
  type RandomSampleOptions,
} from './samples';
