import type { LoadedModel, ModelRuntime } from '../../functions/core/runtime/model-runtime';
import { readOnnxSchema } from '../../functions/core/runtime/onnx-schema';
import {
  compareModels,
  latencyFeeds,
  measureLatencies,
  type Agreement,
  type EvaluationSet,
  type LatencyOptions,
  type LatencyStats,
} from './evaluate';
import type { QuantizedModel } from './quantize-model';

/** One side of the comparison: a model file's size and operators. */
export interface ModelFacts {
  readonly bytes: number;
  readonly opset?: number;
  readonly nodes: number;
  readonly operators: Record<string, number>;
}

/** Latency of both models, or why the quantized one could not be timed. */
export interface LatencyComparison {
  readonly runtime: string;
  /** Rows per run. */
  readonly batch: number;
  readonly warmup: number;
  readonly runs: number;
  readonly fp32: LatencyStats;
  readonly quantized?: LatencyStats;
  /** fp32 p50 over quantized p50: above 1 means the quantized model is faster. */
  readonly speedup?: number;
  readonly error?: string;
}

/** Everything `infergate model quantize` reports. */
export interface QuantizeReport {
  readonly mode: QuantizedModel['mode'];
  readonly format?: QuantizedModel['format'];
  readonly perChannel: boolean;
  readonly opset: QuantizedModel['opset'];
  readonly quantizedNodes: number;
  readonly foldedBatchNorms: number;
  readonly before: ModelFacts;
  readonly after: ModelFacts;
  /** Size before over size after. */
  readonly sizeRatio: number;
  readonly validation: string;
  /** Undefined when the quantized model could not run on the runtime. */
  readonly agreement?: Agreement;
  readonly latency: LatencyComparison;
  readonly warnings: readonly string[];
}

/** Options of {@link buildQuantizeReport}. */
export interface ReportOptions extends LatencyOptions {
  /** Rows per timed run. @default 1 */
  readonly batch?: number;
  /** Names the runtime in the report. @default 'onnxruntime-web (WASM, 1 thread)' */
  readonly runtimeName?: string;
}

/** Size, opset and operator counts of a model file. */
export function modelFacts(bytes: Uint8Array): ModelFacts {
  const schema = readOnnxSchema(bytes);
  return {
    bytes: bytes.byteLength,
    ...(schema.opset === undefined ? {} : { opset: schema.opset }),
    nodes: schema.nodeCount,
    operators: schema.operators,
  };
}

/**
 * Compares a quantized model with its float original on one runtime: sizes and operator
 * counts, top-1 agreement and largest difference on the evaluation set (and accuracy when
 * it has labels), and latency measured in the same process, warmed up and interleaved.
 */
export async function buildQuantizeReport(
  original: Uint8Array,
  quantized: QuantizedModel,
  set: EvaluationSet,
  runtime: ModelRuntime,
  options: ReportOptions = {},
): Promise<QuantizeReport> {
  const batch = options.batch ?? 1;
  const warmup = options.warmup ?? 300;
  const runs = options.runs ?? 200;
  const feeds = latencyFeeds(set, batch);
  const reference = await runtime.load(original);
  const loaded: LoadedModel[] = [reference];
  let agreement: Agreement | undefined;
  let latency: LatencyComparison;
  const base = { runtime: options.runtimeName ?? 'onnxruntime-web (WASM, 1 thread)', batch, warmup, runs };
  try {
    let candidate: LoadedModel | undefined;
    let failure: string | undefined;
    try {
      candidate = await runtime.load(quantized.bytes);
      loaded.push(candidate);
      agreement = await compareModels(reference, candidate, set);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (candidate === undefined || failure !== undefined) {
      const [fp32] = await measureLatencies([reference], feeds, { warmup, runs });
      latency = { ...base, fp32: fp32 ?? { p50Ms: NaN, p90Ms: NaN, meanMs: NaN }, error: failure };
    } else {
      const [fp32, int8] = await measureLatencies([reference, candidate], feeds, { warmup, runs });
      const none = { p50Ms: NaN, p90Ms: NaN, meanMs: NaN };
      latency = {
        ...base,
        fp32: fp32 ?? none,
        quantized: int8 ?? none,
        speedup: (fp32?.p50Ms ?? NaN) / (int8?.p50Ms ?? NaN),
      };
    }
  } finally {
    await Promise.all(loaded.map((model) => model.release()));
  }
  const before = modelFacts(original);
  const after = modelFacts(quantized.bytes);
  return {
    mode: quantized.mode,
    ...(quantized.format === undefined ? {} : { format: quantized.format }),
    perChannel: quantized.perChannel,
    opset: quantized.opset,
    quantizedNodes: quantized.quantizedNodes.length,
    foldedBatchNorms: quantized.foldedBatchNorms,
    before,
    after,
    sizeRatio: before.bytes / after.bytes,
    validation: set.description,
    ...(agreement === undefined ? {} : { agreement }),
    latency,
    warnings: quantized.warnings,
  };
}
