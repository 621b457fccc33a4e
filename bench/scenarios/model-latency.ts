import type { ModelRuntime } from '../../functions/core/runtime/model-runtime';
import type { BenchModel } from '../models';
import { ms, ratio, summarize, timeSequential, type LatencySummary } from '../stats';

/** Warm batch-1 latency of one model on each runtime, fp32 and int8. */
export interface ModelLatency {
  readonly model: BenchModel;
  readonly nativeFp32: LatencySummary;
  readonly nativeInt8: LatencySummary;
  readonly wasmFp32: LatencySummary;
  readonly wasmInt8: LatencySummary;
}

export interface LatencySettings {
  readonly runs: number;
  readonly warmup: number;
}

export async function directLatency(
  runtime: ModelRuntime,
  bytes: Uint8Array,
  model: BenchModel,
  settings: LatencySettings,
): Promise<LatencySummary> {
  const loaded = await runtime.load(bytes);
  const samples = await timeSequential(() => loaded.run(model.feeds), settings.runs, settings.warmup);
  await loaded.release();
  return summarize(samples);
}

export async function measureModelLatency(
  model: BenchModel,
  runtimes: { readonly wasm: ModelRuntime; readonly native: ModelRuntime },
  settings: LatencySettings,
): Promise<ModelLatency> {
  return {
    model,
    nativeFp32: await directLatency(runtimes.native, model.fp32, model, settings),
    nativeInt8: await directLatency(runtimes.native, model.int8, model, settings),
    wasmFp32: await directLatency(runtimes.wasm, model.fp32, model, settings),
    wasmInt8: await directLatency(runtimes.wasm, model.int8, model, settings),
  };
}

/** The WASM int8 goal: at most this many times native fp32, p50. */
export const WASM_INT8_GOAL = 1.5;

export function reportModelLatency(results: readonly ModelLatency[], settings: LatencySettings): string[] {
  const lines = [
    '## Per model, batch 1: WASM against native',
    '',
    `Direct \`LoadedModel.run\` in the bench process (the adapters' conversions included), ${settings.warmup} untimed runs,`,
    `then ${settings.runs} timed runs one at a time. int8 is \`quantizeModel(bytes, { mode: 'dynamic-int8' })\``,
    '(models/quantize, its default `mixed` format). WASM is onnxruntime-web with 1 thread; native is',
    'onnxruntime-node with 1 intra-op thread.',
    '',
    '| model | runtime | weights | p50 | p99 | p50 / native fp32 |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    const base = result.nativeFp32.p50;
    const rows: [string, string, LatencySummary][] = [
      ['native', 'fp32', result.nativeFp32],
      ['native', 'int8', result.nativeInt8],
      ['WASM', 'fp32', result.wasmFp32],
      ['WASM', 'int8', result.wasmInt8],
    ];
    for (const [runtime, weights, summary] of rows) {
      lines.push(
        `| ${result.model.name} | ${runtime} | ${weights} | ${ms(summary.p50)} | ${ms(summary.p99)} | ${ratio(summary.p50, base)} |`,
      );
    }
  }
  lines.push('');
  for (const result of results) {
    const wasmInt8 = result.wasmInt8.p50 / result.nativeFp32.p50;
    lines.push(
      `- ${result.model.name} (${result.model.description}): WASM fp32 / native fp32 p50 ${ratio(result.wasmFp32.p50, result.nativeFp32.p50)}, ` +
        `p99 ${ratio(result.wasmFp32.p99, result.nativeFp32.p99)}; WASM int8 / WASM fp32 p50 ${ratio(result.wasmInt8.p50, result.wasmFp32.p50)}. ` +
        `**Goal WASM int8 p50 <= ${WASM_INT8_GOAL}x native fp32: ${wasmInt8 <= WASM_INT8_GOAL ? 'met' : 'not met'} (${wasmInt8.toFixed(2)}x).**`,
    );
  }
  lines.push('');
  return lines;
}
