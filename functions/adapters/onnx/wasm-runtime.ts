import * as ort from 'onnxruntime-web';
import type { LoadedModel, ModelRuntime } from '../../core/runtime/model-runtime';
import { OrtModel } from './ort-model';

/** Options of {@link WasmRuntime.create}. */
export interface WasmRuntimeOptions {
  /**
   * Directory (or URL prefix) holding `ort-wasm-simd-threaded.wasm` and `.mjs`, for a
   * bundle that ships them next to its code.
   * @default the `dist` directory of the onnxruntime-web package
   */
  readonly wasmDir?: string;
  /**
   * WASM threads. Lambda gets little from more than one, and threads need workers.
   * @default 1
   */
  readonly numThreads?: number;
}

// An Identity over FP32 [1], built with models/onnx/builder.ts. Loading it compiles the
// WASM module during cold start instead of on the first request.
const WARMUP_MODEL = Buffer.from(
  'CAgSABoAMgA6QQoVCgF4EgF5GgFpIghJZGVudGl0eToAEgZ3YXJtdXBaDwoBeBIKCggIARIECgIIAWIPCgF5EgoKCAgBEgQKAggBQgQKABAR',
  'base64',
);

/**
 * Runs ONNX models on onnxruntime-web's WebAssembly backend, the runtime of the Lambda
 * tier. onnxruntime's WASM settings are process-wide, so a process has one configuration.
 *
 * @example
 * const runtime = await WasmRuntime.create({ wasmDir: '/var/task/ort/' });
 * const model = await runtime.load(bytes);
 */
export class WasmRuntime implements ModelRuntime {
  private constructor() {}

  /** Configures onnxruntime-web and compiles its WASM module (about half a second). */
  public static async create(options: WasmRuntimeOptions = {}): Promise<WasmRuntime> {
    const numThreads = options.numThreads ?? 1;
    if (!Number.isInteger(numThreads) || numThreads < 1) {
      throw new RangeError(`numThreads must be a positive integer, got ${numThreads}`);
    }
    if (options.wasmDir !== undefined) {
      ort.env.wasm.wasmPaths = options.wasmDir.endsWith('/') ? options.wasmDir : `${options.wasmDir}/`;
    }
    ort.env.wasm.numThreads = numThreads;
    ort.env.wasm.proxy = false;
    const runtime = new WasmRuntime();
    const warmup = await runtime.load(WARMUP_MODEL);
    await warmup.release();
    return runtime;
  }

  public load(bytes: Uint8Array): Promise<LoadedModel> {
    return OrtModel.create(ort, bytes, {
      // Named explicitly: when onnxruntime-node is loaded too, the default backend is the
      // native one, and 'cpu' may be bound to either package depending on import order.
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      // Errors reach the caller as exceptions and get logged there, with the request id.
      logSeverityLevel: 4,
    });
  }
}
