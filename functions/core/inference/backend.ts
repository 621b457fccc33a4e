import type { ModelVersion } from '../registry/types';
import type { Tensor } from '../tensors/tensor';
import type { DecodedInferRequest } from '../tensors/oip-codec';

/** What a backend returns for one request. */
export interface BackendRun {
  /** One tensor per requested output (every output when none was requested). */
  readonly outputs: Record<string, Tensor>;
  /**
   * Time the model itself took, in milliseconds: the runtime's `run` on the Lambda tier,
   * the endpoint call on the SageMaker tier. Metered and billed as compute.
   */
  readonly computeMs: number;
}

/**
 * Port of a serving tier. The inference service decodes and validates a request against
 * the version's schema, then hands it to the backend of the version's tier; the backend
 * runs it where that tier runs (in this process on onnxruntime-web, or on a SageMaker
 * endpoint) and maps its own failures to `InfergateError`s (5xx with a code).
 */
export interface InferenceBackend {
  /**
   * Makes sure the version can be served now (loads it, or checks its endpoint). Throws an
   * `InfergateError` 5xx with the reason's code when it cannot.
   */
  prepare(version: ModelVersion): Promise<void>;
  run(version: ModelVersion, request: DecodedInferRequest): Promise<BackendRun>;
}
