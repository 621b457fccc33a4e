/**
 * Pipelines: the pre- and post-processing a model version declares for the task routes
 * (`POST /v1/models/{name}/predict`). Pure apart from the image codec port.
 */
export { checkPipeline, type PipelineBinding } from './check-pipeline';
export { softmax, topK, type LabelScore } from './classification';
export { ctcGreedyDecode, type CtcOptions, type CtcText } from './ctc';
export { imageError, invalidPipeline, type ImageErrorCode } from './errors';
export { planResize, type ImageSize, type ResizePlan } from './geometry';
export type { DecodeRequest, ImageDecoder, ImageInfo } from './image-decoder';
export { declaredSize, sniffImage, type SniffedImage } from './image-format';
export { channelTransforms, decodedChannels, imageTensor, rotate180, type RawImage } from './image-tensor';
export {
  PredictionService,
  type ImagePayload,
  type ModelServing,
  type PredictionServiceOptions,
} from './prediction-service';
export { taskResult, type TaskResult } from './predictions';
