/**
 * NVIDIA Triton as the `sagemaker` tier needs it, pure: the model configuration
 * (`config.pbtxt`) generated from an ONNX graph, the model repository packed as a
 * deterministic `model.tar.gz`, Open Inference Protocol JSON exact over 64-bit integers, and
 * Triton's binary tensor data extension as SageMaker carries it.
 */
export {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_QUEUE_DELAY_MICROSECONDS,
  formatConfigPbtxt,
  readConfigHeader,
  TRITON_DATA_TYPES,
  tritonModelConfig,
  type TritonConfigOptions,
  type TritonModelConfig,
  type TritonTensorConfig,
} from './model-config';
export {
  packTritonModel,
  TRITON_MODEL_VERSION,
  unpackTritonModel,
  type PackedTritonModel,
  type UnpackedTritonModel,
} from './model-repository';
export {
  parseInferJson,
  stringifyInferRequest,
  stringifyInferResponse,
  type NamedTensor,
} from './infer-json';
export {
  BINARY_CONTENT_TYPE_PREFIX,
  binaryContentType,
  decodeBinaryTensor,
  encodeBinaryInferRequest,
  encodeBinaryTensor,
  encodeInferResponseBody,
  JSON_CONTENT_TYPE,
  jsonHeaderSizeOf,
  readInferBody,
  TritonBodyError,
  type BodyTensor,
  type EncodedInferBody,
  type InferBody,
} from './binary-tensors';
