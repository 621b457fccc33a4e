import * as ort from 'onnxruntime-node';
import type { LoadedModel, ModelRuntime } from '../../core/runtime/model-runtime';
import { OrtModel } from './ort-model';

/** Options of {@link NativeRuntime.create}. */
export interface NativeRuntimeOptions {
  /**
   * Threads of one operator.
   * @default onnxruntime's choice, the number of physical cores
   */
  readonly intraOpNumThreads?: number;
}

/**
 * Runs ONNX models on onnxruntime-node's native CPU backend: benchmarks and the local
 * SageMaker-compatible server. Same conversions and errors as {@link WasmRuntime}.
 * onnxruntime-node is a development dependency; the Lambda bundles never import this file.
 *
 * @example
 * const runtime = await NativeRuntime.create();
 * const model = await runtime.load(bytes);
 */
export class NativeRuntime implements ModelRuntime {
  private readonly options: NativeRuntimeOptions;

  private constructor(options: NativeRuntimeOptions) {
    this.options = options;
  }

  public static async create(options: NativeRuntimeOptions = {}): Promise<NativeRuntime> {
    const threads = options.intraOpNumThreads;
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
      throw new RangeError(`intraOpNumThreads must be a positive integer, got ${threads}`);
    }
    return new NativeRuntime(options);
  }

  public load(bytes: Uint8Array): Promise<LoadedModel> {
    return OrtModel.create(ort, bytes, {
      // No execution provider named: the name 'cpu' stays bound to onnxruntime-web's WASM
      // backend when that package registered it first (onnxruntime-common keeps the first
      // binding of a name), while the default picks the highest priority backend, which is
      // onnxruntime-node's (100 against 10). Native onnxruntime then uses its CPU provider.
      graphOptimizationLevel: 'all',
      logSeverityLevel: 4,
      ...(this.options.intraOpNumThreads === undefined
        ? {}
        : { intraOpNumThreads: this.options.intraOpNumThreads }),
    });
  }
}
