import type { ColdStart } from './scenarios/cold-start';
import type { ModelLatency } from './scenarios/model-latency';
import type { RequestBreakdown } from './scenarios/request-breakdown';
import type { WarmupCurve } from './scenarios/warmup-curve';
import { ms, ratio } from './stats';

/**
 * What was tried to bring WASM closer to native, to shorten the cold start and to cut the
 * platform's overhead, with this run's numbers where this run measures it. Curves: [as is,
 * eager compilation, warm-up after load, V8's default tiering budget]; bare cold starts:
 * [lazy, eager, tiering budget]; bundled: [with preloading, without]. Numbers marked
 * "scratch" come from separate A/B runs (fresh processes, interleaved, medians) on the same
 * machine, not repeated by `npm run bench`.
 */
export function reportThingsTried(results: {
  readonly curves: readonly WarmupCurve[];
  readonly loadWarmupRuns: number;
  readonly bareLazy: ColdStart | undefined;
  readonly bareEager: ColdStart | undefined;
  readonly bareBudget?: ColdStart;
  readonly bundled?: ColdStart;
  readonly bundledNoPreload?: ColdStart;
  readonly breakdown?: RequestBreakdown;
  readonly latencies: readonly ModelLatency[];
}): string[] {
  const [asIs, eager, warmed, v8Budget] = results.curves;
  const lines = ['## Things tried', ''];
  lines.push(...coldStartTried(results, asIs, v8Budget), ...overheadTried(results.breakdown));
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
      '  and removed. Preloading at init (above) now runs one warm-up run per preloaded model, where it',
      '  costs the init phase, not a request; 0, 1 and 3 runs measured the same there (scratch).',
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
    '  gain over the default 1,800,000 (a larger one is kept, above); `--no-liftoff`',
    '  (TurboFan only) reaches about 2.8 ms from the second run but makes create about 5 s.',
    '',
  );
  return lines;
}

/** Cold start: V8's WASM tiers, the module's compilation, preloading, imports. */
function coldStartTried(
  results: Parameters<typeof reportThingsTried>[0],
  asIs: WarmupCurve | undefined,
  v8Budget: WarmupCurve | undefined,
): string[] {
  const lines: string[] = [];
  const { bareLazy, bareBudget, bundled, bundledNoPreload } = results;
  lines.push(
    "- **WASM tiering budget 100x V8's (`--wasm-tiering-budget=180000000`, set by `WasmRuntime.create`",
    "  with `v8.setFlagsFromString` before onnxruntime instantiates its module): kept.** With V8's",
    '  default budget (1,800,000), much of what onnxruntime runs once while creating a session gets',
    '  recompiled by TurboFan on background threads, competing with the load for the CPU (scarce on',
    '  Lambda and on this machine); with 100x, that code stays on Liftoff and the kernels of `run` still',
    '  tier up within a few runs.',
  );
  if (bareLazy !== undefined && bareBudget !== undefined) {
    lines.push(
      `  Bare cold starts in this run (table above): first response ${ms(bareLazy.firstResponse)} -> ${ms(bareBudget.firstResponse)}`,
      `  (${ratio(bareBudget.firstResponse, bareLazy.firstResponse)}).`,
    );
  }
  if (asIs !== undefined && v8Budget !== undefined) {
    lines.push(
      `  Warm-up curves (V8's budget -> ours): load ${ms(v8Budget.loadMs)} -> ${ms(asIs.loadMs)}, first run ${ms(v8Budget.firstRun)} -> ${ms(asIs.firstRun)},`,
      `  runs 2-10 ${ms(v8Budget.runs2to10)} -> ${ms(asIs.runs2to10)}, runs 11-100 ${ms(v8Budget.runs11to100)} -> ${ms(asIs.runs11to100)}, runs 101-300 ${ms(v8Budget.runs101to300)} -> ${ms(asIs.runs101to300)}.`,
    );
  }
  lines.push(
    '  Scratch (7 fresh processes per row, interleaved, text-direction, 600 runs): import to first run',
    '  917 ms -> 620 ms, load 369 ms -> 105 ms, first run 77 ms -> 29 ms, runs 101-300 4.3 ms -> 4.3 ms,',
    '  runs 301-600 4.2 ms -> 4.3 ms. Budgets of 50M and 500M did the same; 2G slowed runs 101-300 to',
    '  5.4 ms. digits (20,000 runs): warm runs within noise of the default in 3 processes each.',
    '- **`--liftoff-only`: not kept.** Scratch: load 925 ms -> 181 ms, but warm runs 7.2 ms -> 14.1 ms',
    '  (no TurboFan at all). Turning it off again after the load (`--no-liftoff-only`) left runs at',
    '  6-8 ms: code compiled under it does not tier up. `--no-wasm-tier-up` changes nothing while',
    '  dynamic tiering is on; `--wasm-num-compilation-tasks=1` (fewer background compile threads)',
    '  sped the start less than the budget and left runs 101-300 at 6.6 ms against 4.3 ms.',
    '- **The module bytes from memory (`env.wasm.wasmBinary`, read by us rather than by onnxruntime):',
    "  not kept.** Scratch: session create 703 ms -> 780 ms at V8's budget, 352 ms -> 346 ms at ours:",
    '  reading 14 MB is about 10 ms; compiling them is the cost, and it is the same.',
    "- **Compiling the module early (`WebAssembly.compile` at the top of the bundle, so that V8's",
    "  native module cache serves onnxruntime's own compile): not kept.** Scratch, bundled handler,",
    '  9 processes: imported +50 ms, ready and first response no earlier (695 ms vs 640 ms ready).',
    '- **`--wasm-lazy-validation` (validate each function when first compiled): not kept.** Scratch:',
    '  bare session create 352 ms -> 321 ms, bundled handler ready 640 ms -> 683 ms: noise.',
    '- **`graphOptimizationLevel` for loading faster: not kept.** Scratch, text-direction: `basic` and',
    '  `extended` load like `all`; `disabled` loads in 49 ms instead of 97 ms but the first run takes',
    '  55 ms instead of 25 ms, and what a model loses without optimization depends on the model.',
    '- **Preloading the `prod` Lambda-tier models at init (`INFERGATE_PRELOAD_BYTES`, 128 MiB, and',
    '  `INFERGATE_PRELOAD_TIMEOUT_MS`, 3 s; failures logged, never fatal): kept.** The first request of a',
    '  preloaded model neither downloads, loads nor first-runs it.',
  );
  if (bundled !== undefined && bundledNoPreload !== undefined) {
    lines.push(
      `  In this run (table above), without -> with preloading: first response after init ${ms(bundledNoPreload.afterInit)} ->`,
      `  ${ms(bundled.afterInit)}; from process start ${ms(bundledNoPreload.firstResponse)} -> ${ms(bundled.firstResponse)} (the same work, done earlier).`,
    );
  }
  lines.push(
    '  The Lambda entry (functions/inference/lambda.ts) awaits it at the top level, so Lambda runs it in',
    '  the init phase: ahead of any request with provisioned concurrency. On an on-demand cold start the',
    '  total is about the same work (one warm-up run and two registry reads more), and a first request',
    '  for a model that is not preloaded waits for the preload (at most `INFERGATE_PRELOAD_TIMEOUT_MS`).',
    '  `npm start` and the tests import functions/inference/handler.ts, where the first invocation awaits',
    '  it: tsx and jest compile .ts files of this package to CommonJS, which has no top-level `await`.',
    '- **Zod Mini for what the data plane validates: kept.** The full `zod` builds every method of every',
    '  schema type when it is imported, and was the largest part of the bundle (433 KB of 1.31 MB) and',
    '  of its import (scratch: a bundle of `zod` alone imports in 50-65 ms, of `zod/mini` in 10-13 ms).',
    "  The pipeline and predict schemas, the function's configuration and the usage spill's format are",
    '  now written with Zod Mini (functions/api/zod-mini.ts, same checks and the same English messages;',
    '  the admin schemas keep the full API and embed them; the OpenAPI document is byte for byte the',
    '  same). The inference bundle keeps 36 KB of zod and is 0.91 MB. sharp is imported on the first',
    '  image request; the SageMaker client is under 1 ms of the import; the Powertools tracer',
    '  (aws-xray-sdk-core, about 20 ms) wraps the SDK clients at init, and tracing is active on Lambda.',
    "- **The preload's registry reads and download started ahead: kept.** `findPreloadCandidates` and",
    '  `ArtifactPrefetch` start them before `WasmRuntime.create`, so they wait on the network while',
    '  onnxruntime initializes (CPU). Here the table and the artifact store are on loopback and the gain',
    '  is within the noise; on AWS each read and the S3 download are network round trips.',
    '- **Where the cold start goes now (scratch CPU profiles of the bundled handler):** Node itself',
    "  40-80 ms; importing the bundle (0.91 MB: the SDK, Powertools, Hono, the platform); onnxruntime-web's",
    '  module (14 MB: instantiation, its own initialization, session creation) 250-350 ms; the model,',
    '  its first run and the registry and S3 reads the rest. Below 400 ms from process start needs a',
    '  smaller onnxruntime-web build (a reduced-operator build of the WASM) or a runtime without WASM.',
  );
  return lines;
}

/** Platform overhead of a warm request. */
function overheadTried(breakdown: RequestBreakdown | undefined): string[] {
  const lines = [
    '- **The JSON body read from the Lambda event: kept.** `readJsonBody` parsed the `Request` body:',
    "  the event's string encoded to UTF-8, streamed, read into an ArrayBuffer and decoded again. It now",
    "  parses the event's text body itself (the `Request` path stays for base64 bodies and outside",
    '  Lambda). Scratch, 531 KB of JSON: `Request` + `arrayBuffer` + decode + parse 4.45 ms against',
    '  parse alone 3.31 ms; over HTTP (4 runs of 300 interleaved requests, plan without limits) the',
    "  platform's p50 moved by +1.1, -0.8, -2.8 and -4.7 ms against the code before.",
    '- **X-Ray automatic mode: measured, not changed.** Loading aws-xray-sdk-core (the Powertools tracer)',
    "  installs cls-hooked's async hooks, which run for every promise of the process, even where the",
    '  tracer is off (outside Lambda). Scratch: with `AWS_XRAY_MANUAL_MODE=true`, the in-process request',
    '  was faster in 8 of 10 paired runs, by about 0.5 ms at the median, and "the rest of the handler"',
    '  below dropped by 0.1-1.4 ms. On Lambda tracing is active and the hooks are its price.',
  ];
  if (breakdown !== undefined) {
    const write = breakdown.stages.find((stage) => stage.label.startsWith('usage write'))?.p50;
    if (write !== undefined) {
      lines.push(
        `- **The usage write after the response: kept** (plans without limits; ${ms(write)} in this run's`,
        '  breakdown, where it is timed alone). The request is answered first; on Lambda an in-process',
        '  extension keeps the invocation open until the write is done (or spilled), and locally the API',
        '  Gateway emulator drains it after each response. Through HTTP (table above) the overhead of a',
        '  plan without limits drops to the cost of the platform code, when the table runs in a process',
        "  of its own as DynamoDB does on AWS; embedded in the platform's process, the table's work after",
        '  a response still competes with the next request. On a plan with limits, the one write that',
        '  admits and meters the request stays before the response: it decides the answer.',
      );
    }
  }
  return lines;
}
