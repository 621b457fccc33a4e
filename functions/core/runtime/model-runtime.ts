import type { TensorSpec } from '../tensors/datatypes';
import type { Tensor } from '../tensors/tensor';

/**
 * A model loaded into a runtime and ready to run. Heavy: release it when evicted.
 */
export interface LoadedModel {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Approximate memory held, used by the session cache's byte bound. */
  readonly sizeBytes: number;
  /**
   * Runs the model. `outputNames` selects outputs (all when omitted).
   * Throws `InfergateError` 400 for inputs the runtime rejects.
   */
  run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** Port of an inference runtime (onnxruntime-web in Lambda, onnxruntime-node natively). */
export interface ModelRuntime {
  /** Loads a model from its bytes; throws `InfergateError` 5xx code `model_load_failed` on failure. */
  load(bytes: Uint8Array): Promise<LoadedModel>;
}
