import { setFlagsFromString } from 'node:v8';
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
  /**
   * V8's budget for tiering a WASM function up from Liftoff (the baseline compiler) to
   * TurboFan, roughly in bytes of code executed (`--wasm-tiering-budget`; V8's own default
   * is 1,800,000). With V8's default, much of the code onnxruntime runs once while it
   * creates a session (protobuf parsing, graph optimization, kernel set-up) gets hot enough
   * to be recompiled by TurboFan on background threads, which compete for the little CPU
   * a Lambda function has. A hundred times the default leaves that code on Liftoff and
   * still tiers up the kernels of `run` within a few runs. Measured in bench/ (see
   * docs/benchmarks.md, things tried): load and first run about 3x faster, warm runs as fast.
   *
   * V8 flags are process-wide: the value applies to every WASM instance created after it
   * is set (and to budgets refilled after a tier-up), like onnxruntime's own settings.
   * @default DEFAULT_WASM_TIERING_BUDGET
   */
  readonly tieringBudget?: number;
}

/** The WASM tiering budget {@link WasmRuntime.create} sets: a hundred times V8's default. */
export const DEFAULT_WASM_TIERING_BUDGET = 180_000_000;

/** V8 keeps the budget in a 32-bit integer. */
const MAX_INT32 = 0x7fffffff;

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

  /**
   * Configures onnxruntime-web (and V8's WASM tiering, see
   * {@link WasmRuntimeOptions.tieringBudget}) and compiles its WASM module (about half a second).
   */
  public static async create(options: WasmRuntimeOptions = {}): Promise<WasmRuntime> {
    const numThreads = options.numThreads ?? 1;
    if (!Number.isInteger(numThreads) || numThreads < 1) {
      throw new RangeError(`numThreads must be a positive integer, got ${numThreads}`);
    }
    const tieringBudget = options.tieringBudget ?? DEFAULT_WASM_TIERING_BUDGET;
    if (!Number.isInteger(tieringBudget) || tieringBudget < 1 || tieringBudget > MAX_INT32) {
      throw new RangeError(`tieringBudget must be an integer from 1 to ${MAX_INT32}, got ${tieringBudget}`);
    }
    if (options.wasmDir !== undefined) {
      ort.env.wasm.wasmPaths = options.wasmDir.endsWith('/') ? options.wasmDir : `${options.wasmDir}/`;
    }
    // Before onnxruntime instantiates its module (on the first session below).
    setFlagsFromString(`--wasm-tiering-budget=${tieringBudget}`);
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
