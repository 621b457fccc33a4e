import { InfergateError } from '../errors';
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
  /**
   * Loads a model from its bytes; throws {@link ModelLoadError} (502 `model_load_failed`)
   * when the runtime refuses the model.
   */
  load(bytes: Uint8Array): Promise<LoadedModel>;
}

/**
 * Why a runtime refused a model, read from its error by the runtime's adapter, so that
 * registration can tell the uploader what to change.
 */
export type LoadFailure =
  /** An operator the runtime has no implementation of (for its version and input types). */
  | {
      readonly kind: 'unsupported_operator';
      /** `Op` for the default domain, `domain:Op` otherwise. */
      readonly operator: string;
      /** The operator set version the operator was resolved at, when the runtime says. */
      readonly version?: number;
    }
  /** The model imports an operator set version the runtime does not support. */
  | {
      readonly kind: 'unsupported_opset';
      readonly domain: string;
      readonly opset: number;
      readonly supported?: number;
    }
  /** The model's ONNX IR version is newer than the runtime reads. */
  | { readonly kind: 'unsupported_ir_version'; readonly irVersion: number; readonly supported: number }
  /** The bytes are not a well-formed model (protobuf, graph, types or shapes). */
  | { readonly kind: 'invalid_model' }
  /** Inputs or outputs of a kind the platform cannot carry. */
  | { readonly kind: 'unsupported_model' }
  /** The runtime ran out of memory. */
  | { readonly kind: 'out_of_memory' }
  | { readonly kind: 'unknown' };

/**
 * A model the runtime refused to load. To a caller of inference this is the platform's
 * failure (502 `model_load_failed`: the model was registered); registration reads
 * `failure` and `detail` and answers the uploader with a 400 instead.
 */
export class ModelLoadError extends InfergateError {
  public readonly failure: LoadFailure;
  /** The runtime's own explanation, without source locations. */
  public readonly detail: string;

  public constructor(failure: LoadFailure, detail: string, options?: ErrorOptions) {
    super(502, 'model_load_failed', `onnxruntime could not load the model: ${detail}`, options);
    this.name = 'ModelLoadError';
    this.failure = failure;
    this.detail = detail;
  }
}
