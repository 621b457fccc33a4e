/** Tensors in memory and their Open Inference Protocol JSON form. */
export { DATATYPES, isDatatype, type Datatype, type TensorSpec } from './datatypes';
export { elementCount, isTensorDataOf, type Tensor, type TensorData } from './tensor';
export { FLOAT16_MAX, fromFloat16Bits, toFloat16Bits } from './float16';
export {
  decodeTensorData,
  encodeTensorData,
  type DecodedTensorData,
  type JsonTensorValue,
  type TensorDataSource,
} from './tensor-json';
export {
  MAX_REQUEST_ELEMENTS,
  decodeInferRequest,
  encodeInferResponse,
  type DecodedInferRequest,
  type InferResponseBody,
  type InferResponseOutput,
} from './oip-codec';
