import type { ColdStart } from './scenarios/cold-start';
import type { ModelLatency } from './scenarios/model-latency';
import type { WarmupCurve } from './scenarios/warmup-curve';
import { ms, ratio } from './stats';

/**
 * What was tried to bring WASM closer to native, with this run's numbers where this run
 * measures it. Curves: [as is, eager compilation, warm-up after load]; bare cold starts:
 * [lazy, eager].
 */
export function reportThingsTried(results: {
  readonly curves: readonly WarmupCurve[];
  readonly loadWarmupRuns: number;
  readonly bareLazy: ColdStart | undefined;
  readonly bareEager: ColdStart | undefined;
  readonly latencies: readonly ModelLatency[];
}): string[] {
  const [asIs, eager, warmed] = results.curves;
  const lines = ['## Things tried', ''];
  // What a request arriving at a fresh instance waits for: create, load and the first run.
  const toFirstRun = (curve: WarmupCurve) => curve.createMs + curve.loadMs + curve.warmupMs + curve.firstRun;
  if (asIs !== undefined && eager !== undefined) {
    lines.push(
      '- **Eager WASM compilation (`--no-wasm-lazy-compilation`): not kept.** V8 compiles a WASM function',
      '  on its first call by default; the flag (settable from `WasmRuntime.create` with',
      '  `v8.setFlagsFromString`, which an earlier run of this bench did) makes Liftoff compile all of',
      "  onnxruntime-web's functions when the module is instantiated. In this run (warm-up table,",
      `  default -> eager): create ${ms(asIs.createMs)} -> ${ms(eager.createMs)}, model load ${ms(asIs.loadMs)} -> ${ms(eager.loadMs)},`,
      `  first run ${ms(asIs.firstRun)} -> ${ms(eager.firstRun)}; create + load + first run ${ms(toFirstRun(asIs))} -> ${ms(toFirstRun(eager))};`,
      `  runs 2-10 ${ms(asIs.runs2to10)} -> ${ms(eager.runs2to10)}, runs 11-100 ${ms(asIs.runs11to100)} -> ${ms(eager.runs11to100)},`,
      `  runs 101-300 ${ms(asIs.runs101to300)} -> ${ms(eager.runs101to300)}.`,
    );
    if (results.bareLazy !== undefined && results.bareEager !== undefined) {
      lines.push(
        `  Bare cold starts (table above): ready ${ms(results.bareLazy.ready)} -> ${ms(results.bareEager.ready)}, first response`,
        `  ${ms(results.bareLazy.firstResponse)} -> ${ms(results.bareEager.firstResponse)}.`,
      );
    }
    lines.push(
      '  Across full runs the sign of the difference changes (the previous one measured create + load +',
      '  first run 1146 ms -> 1419 ms and bare first response 1075 ms -> 1148 ms, with no gain after run',
      '  10): compiling all of a 14 MB module up front costs about what the lazily compiled functions',
      "  cost the first runs, so nothing beats this machine's noise. The adapter is unchanged.",
    );
  }
  if (asIs !== undefined && warmed !== undefined) {
    lines.push(
      `- **Warm-up after load (${results.loadWarmupRuns} runs on zero inputs of the model's shape): not kept.** This is what a`,
      '  `LoadedModel.warmup(runs)` called by the session cache after a load would do. In this run:',
      `  ${ms(warmed.warmupMs)} of warm-up, then first run ${ms(asIs.firstRun)} -> ${ms(warmed.firstRun)}, runs 2-10 ${ms(asIs.runs2to10)} -> ${ms(warmed.runs2to10)},`,
      `  runs 11-100 ${ms(asIs.runs11to100)} -> ${ms(warmed.runs11to100)}; create + load + warm-up + first run ${ms(toFirstRun(asIs))} -> ${ms(toFirstRun(warmed))}.`,
      '  V8 tiers up by the work done, so warm-up runs only move the slow runs from requests to the load',
      '  (the first request of each model waits for them), at about the same total; the previous full',
      '  run measured 205 ms of warm-up for 30 ms off the first run and nothing after. An API was written',
      '  and removed: it would pay only where a load happens before any request (aliases preloaded at',
      '  init, provisioned concurrency), which the platform does not do today.',
    );
  }
  for (const latency of results.latencies) {
    lines.push(
      `- **dynamic int8 on WASM** (${latency.model.name}): ${ms(latency.wasmFp32.p50)} -> ${ms(latency.wasmInt8.p50)} p50 (${ratio(latency.wasmInt8.p50, latency.wasmFp32.p50)});` +
        ` native ${ms(latency.nativeFp32.p50)} -> ${ms(latency.nativeInt8.p50)}.`,
    );
  }
  lines.push(
    '- **Session options: none kept** (table below). Sessions measured side by side in one process differ',
    '  by up to about 20% for reasons that do not survive a fresh process: `executionMode: parallel`, the',
    '  fastest text-direction row in two full runs, measured 2.94 ms against 3.86 ms for `sequential` (p50',
    '  medians of three fresh processes each, interleaved, 300 warm-up runs) in a scratch check. With one',
    '  WASM thread onnxruntime has no inter-op threads to run branches on. The adapter keeps',
    "  `graphOptimizationLevel: all` and onnxruntime's defaults.",
    '- **SIMD**: onnxruntime-web 1.30 ships only SIMD builds (`ort-wasm-simd-threaded.wasm`), so SIMD is',
    '  always on; there is nothing to switch.',
    '- **numThreads > 1**: not measured. Threads in onnxruntime-web are worker threads with shared',
    '  memory; a Lambda function below 1,769 MB has less than one vCPU, and this machine has two shared',
    '  cores, so no result here would carry over. The adapter keeps 1 (`INFERGATE_ORT_NUM_THREADS`).',
    '- **V8 flags, not kept** (scratch processes before this run, not repeated in it):',
    '  `--wasm-tiering-budget` 20,000 to 200,000 (tier up to TurboFan sooner) gave no consistent',
    '  gain over the default 1,800,000; `--wasm-lazy-validation` did not shorten create; `--no-liftoff`',
    '  (TurboFan only) reaches about 2.8 ms from the second run but makes create about 5 s.',
    '',
  );
  return lines;
}
