/**
 * `npm run bench`: measures the platform in one run and writes docs/benchmarks.md.
 * Ratios are what to compare: the machines are shared and noisy. Each scenario lives in
 * bench/scenarios/; the knobs are environment variables (see SETTINGS below).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { latestLoadSection } from './load-report';
import os from 'node:os';
import path from 'node:path';
import { NativeRuntime } from '../functions/adapters/onnx/native-runtime';
import { WasmRuntime } from '../functions/adapters/onnx/wasm-runtime';
import { buildBundles } from '../infra/scripts/build-bundles';
import { ROOT } from './processes';
import { digitsModel, textDirectionModel } from './models';
import { measureColdStarts, reportColdStarts } from './scenarios/cold-start';
import {
  type HttpResult,
  inferBody,
  measureHttp,
  reportHttp,
  startBareTarget,
  startPlatformTarget,
} from './scenarios/http';
import { measureModelLatency, reportModelLatency } from './scenarios/model-latency';
import { measureSessionOptions, reportSessionOptions } from './scenarios/session-options';
import { measurePlanLimits, reportPlanLimits } from './scenarios/plan-limits';
import { measureRequestBreakdown, reportRequestBreakdown } from './scenarios/request-breakdown';
import { measureTiers, reportTiers } from './scenarios/tiers';
import { measureWarmupCurves, reportWarmupCurves } from './scenarios/warmup-curve';
import { reportSummary } from './summary';
import { reportThingsTried } from './things-tried';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SETTINGS = {
  runs: env('BENCH_RUNS', 500),
  warmup: env('BENCH_WARMUP', 300),
  httpRuns: env('BENCH_HTTP_RUNS', 200),
  httpWarmup: env('BENCH_HTTP_WARMUP', 100),
  loadSeconds: env('BENCH_LOAD_SECONDS', 10),
  coldStarts: env('BENCH_COLD_STARTS', 5),
  curveRepeats: env('BENCH_CURVE_REPEATS', 3),
  loadWarmupRuns: env('BENCH_LOAD_WARMUP_RUNS', 20),
  digitsEpochs: env('BENCH_DIGITS_EPOCHS', 3),
};

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function main(): Promise<void> {
  const started = performance.now();
  progress('preparing models (digits training is cached in bench/.results/)');
  const textDirection = await textDirectionModel();
  const digits = await digitsModel(SETTINGS.digitsEpochs);
  const models = [textDirection, digits];

  progress('per-model latency, WASM and native');
  const runtimes = {
    wasm: await WasmRuntime.create({ numThreads: 1 }),
    native: await NativeRuntime.create({ intraOpNumThreads: 1 }),
  };
  const direct = { runs: SETTINGS.runs, warmup: SETTINGS.warmup };
  const latencies = [];
  for (const model of models) latencies.push(await measureModelLatency(model, runtimes, direct));

  progress('session options');
  const sessionOptions = [];
  for (const model of models) {
    sessionOptions.push({
      model,
      variants: await measureSessionOptions(model, SETTINGS.runs, SETTINGS.warmup),
    });
  }

  progress('warm-up curves in fresh processes');
  const curves = await measureWarmupCurves(
    textDirection,
    [
      {
        label: 'WasmRuntime as it is (lazy WASM compilation, tiering budget 180,000,000)',
        v8Flags: [],
        warmupRuns: 0,
      },
      {
        label: 'eager WASM compilation (`--no-wasm-lazy-compilation`)',
        v8Flags: ['--no-wasm-lazy-compilation'],
        warmupRuns: 0,
      },
      {
        label: `${SETTINGS.loadWarmupRuns} warm-up runs on zeros after load`,
        v8Flags: [],
        warmupRuns: SETTINGS.loadWarmupRuns,
      },
      {
        label: "V8's default WASM tiering budget (`tieringBudget: 1_800_000`)",
        v8Flags: [],
        warmupRuns: 0,
        tieringBudget: 1_800_000,
      },
    ],
    SETTINGS.curveRepeats,
  );

  progress('building the Lambda bundles');
  const bundles = buildBundles({
    outdir: path.join(ROOT, 'dist', 'bench-cdk.out'),
    zipDir: path.join(ROOT, 'dist', 'functions'),
  });
  const inference = bundles.find((bundle) => bundle.name === 'inference');
  if (inference === undefined) throw new Error('buildBundles made no inference asset');

  progress('cold starts');
  const coldStarts = await measureColdStarts(inference.directory, textDirection, SETTINGS.coldStarts);

  progress('HTTP: bare server and the local platform');
  const http = {
    runs: SETTINGS.httpRuns,
    warmup: SETTINGS.httpWarmup,
    loadSeconds: SETTINGS.loadSeconds,
    connections: 4,
  };
  // All servers up at once, measured interleaved: their differences are what the goal compares.
  const targets = [
    await startBareTarget(textDirection),
    await startPlatformTarget(60, 'no-limits', 'separate'),
    await startPlatformTarget(60, 'enterprise', 'separate'),
    await startPlatformTarget(60, 'no-limits'),
    await startPlatformTarget(60, 'enterprise'),
    await startPlatformTarget(0, 'enterprise'),
  ];
  let httpResults: HttpResult[];
  try {
    httpResults = await measureHttp(targets, inferBody(textDirection), http);
  } finally {
    for (const target of targets) await target.stop();
  }
  const [bare, ...platforms] = httpResults;
  if (bare === undefined) throw new Error('no bare server result');

  progress('where a warm request spends its time, in process');
  const breakdownSettings = { runs: SETTINGS.httpRuns, warmup: SETTINGS.httpWarmup };
  const breakdown = await measureRequestBreakdown(textDirection, breakdownSettings);

  progress('plan enforcement: DynamoDB operations and latency per warm request');
  const limitSettings = { runs: SETTINGS.httpRuns, warmup: SETTINGS.httpWarmup };
  const planLimits = [await measurePlanLimits(60, limitSettings), await measurePlanLimits(0, limitSettings)];

  progress('tiers: lambda (WASM) and the local sagemaker tier (native), over HTTP');
  const tierSettings = { runs: SETTINGS.httpRuns, warmup: SETTINGS.httpWarmup };
  const tiers = [await measureTiers(textDirection, tierSettings), await measureTiers(digits, tierSettings)];
  const textLatency = latencies[0];
  if (textLatency === undefined) throw new Error('no text-direction latency');

  const lines: string[] = [];
  const log = (...more: string[]) => lines.push(...more);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  log(
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts, scenarios in bench/scenarios/); every number below comes',
    'from one run, so ratios are comparable even on a shared, noisy machine.',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    `- Node ${process.version}; onnxruntime-web and onnxruntime-node ${packageVersion('onnxruntime-web')}`,
    `- Command: \`npm run bench\` (${Object.entries(SETTINGS)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ')}; took ${((performance.now() - started) / 1000).toFixed(0)} s)`,
    '',
    ...reportSummary({ latencies, coldStart: coldStarts[0], bare, platforms }),
    ...reportModelLatency(latencies, direct),
    ...reportColdStarts(textDirection, coldStarts, SETTINGS.coldStarts),
    ...reportHttp(textDirection, textLatency.wasmFp32, bare, platforms, http),
    ...reportRequestBreakdown(breakdown, breakdownSettings),
    ...reportTiers(tiers, tierSettings),
    ...reportPlanLimits(planLimits, limitSettings),
    ...reportWarmupCurves(textDirection, curves, SETTINGS.curveRepeats),
    ...reportThingsTried({
      curves,
      loadWarmupRuns: SETTINGS.loadWarmupRuns,
      bareLazy: coldStarts[1],
      bareEager: coldStarts[2],
      bareBudget: coldStarts[4],
      bundled: coldStarts[0],
      bundledNoPreload: coldStarts[5],
      breakdown,
      latencies,
    }),
    ...reportSessionOptions(sessionOptions, SETTINGS.runs, SETTINGS.warmup),
    ...latestLoadSection(path.join(ROOT, 'bench', '.results')),
    '## Lambda bundles',
    '',
    '| function | zipped | unzipped |',
    '| --- | --- | --- |',
    ...bundles.map(
      (bundle) =>
        `| ${bundle.name} | ${(bundle.zippedBytes / 1024 ** 2).toFixed(2)} MB | ${(bundle.unzippedBytes / 1024 ** 2).toFixed(2)} MB |`,
    ),
    '',
  );
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);
  await writeFile(path.join(ROOT, 'docs', 'benchmarks.md'), text);
}

function packageVersion(name: string): string {
  const manifest: unknown = JSON.parse(
    readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
  );
  return typeof manifest === 'object' && manifest !== null && 'version' in manifest
    ? String(manifest.version)
    : '?';
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
