/**
 * The SageMaker adapter: the `sagemaker` tier's backend (InvokeEndpoint on a Triton
 * multi-model endpoint or inference component), its client and the translation of its failures.
 */
export {
  createSageMakerRuntimeClient,
  DEFAULT_SAGEMAKER_TIMEOUT_MS,
  type SageMakerClientOptions,
} from './client';
export {
  invokeFailureKind,
  translateInvokeError,
  THROTTLED_RETRY_AFTER_SECONDS,
  SCALING_RETRY_AFTER_SECONDS,
  UNAVAILABLE_RETRY_AFTER_SECONDS,
  InvokeEndpointFailure,
  type InvokeFailureKind,
} from './errors';
export {
  MAX_INVOKE_BODY_BYTES,
  SageMakerBackend,
  type InvokeClient,
  type SageMakerBackendOptions,
} from './sagemaker-backend';
