/**
 * `npm run bench`: measures the platform in one run and writes docs/benchmarks.md.
 * Ratios are what to compare: the machines are shared and noisy.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WasmRuntime } from '../functions/adapters/onnx/wasm-runtime';
import { NativeRuntime } from '../functions/adapters/onnx/native-runtime';
import type { ModelRuntime } from '../functions/core/runtime/model-runtime';
import type { Tensor } from '../functions/core/tensors/tensor';
import { buildBundles } from '../infra/scripts/build-bundles';
import { DEMO_MODEL, pretrainedFile } from '../models/pretrained';
import { startPlatformProcess } from './local-platform';
import { ms, summarize, timeSequential, type LatencySummary } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 500);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const ROOT = path.join(__dirname, '..');

function demoInput(): Float32Array {
  const data = new Float32Array(3 * 48 * 192);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 0.9;
  return data;
}

async function directRun(
  runtime: ModelRuntime,
  bytes: Uint8Array,
  data: Float32Array,
): Promise<LatencySummary> {
  const model = await runtime.load(bytes);
  const x: Tensor = { datatype: 'FP32', shape: [1, 3, 48, 192], data };
  const samples = await timeSequential(() => model.run({ x }), RUNS, WARMUP);
  await model.release();
  return summarize(samples);
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const log = (line = '') => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  const bytes = new Uint8Array(await readFile(pretrainedFile(DEMO_MODEL.file)));
  const data = demoInput();

  // 1. Direct session.run, WASM and native, in this process.
  const wasm = await directRun(await WasmRuntime.create({ numThreads: 1 }), bytes, data);
  const native = await directRun(await NativeRuntime.create({ intraOpNumThreads: 1 }), bytes, data);

  // 2. Through the local platform (auth, registry, metering, HTTP), one request at a time.
  const platform = await startPlatformProcess();
  const body = JSON.stringify({
    inputs: [{ name: 'x', shape: [1, 3, 48, 192], datatype: 'FP32', data: [...data] }],
  });
  const url = `${platform.url}/v2/models/${platform.demoModel}/infer`;
  const headers = { authorization: `Bearer ${platform.demoKey}`, 'content-type': 'application/json' };
  const call = async () => {
    const response = await fetch(url, { method: 'POST', headers, body });
    if (response.status !== 200)
      throw new Error(`infer answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };
  const http = summarize(await timeSequential(call, RUNS, WARMUP));

  // 3. Throughput with concurrent connections.
  const load = await autocannon({
    url,
    method: 'POST',
    headers,
    body,
    connections: 4,
    duration: LOAD_SECONDS,
  });
  await platform.stop();

  // 4. Bundle sizes.
  const bundles = buildBundles({
    outdir: path.join(ROOT, 'dist', 'bench-cdk.out'),
    zipDir: path.join(ROOT, 'dist', 'functions'),
  });

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  log('# Benchmarks');
  log();
  log('Written by `npm run bench` (bench/run.ts); every number below comes from one run, so');
  log('ratios are comparable even on a shared, noisy machine.');
  log();
  log(`- Date: ${new Date().toISOString()}`);
  log(
    `- Machine: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
  );
  log(`- Node ${process.version}; onnxruntime-web and onnxruntime-node ${packageVersion('onnxruntime-web')}`);
  log(
    `- Command: \`npm run bench\` (BENCH_RUNS=${RUNS}, BENCH_WARMUP=${WARMUP}, BENCH_LOAD_SECONDS=${LOAD_SECONDS})`,
  );
  log();
  log(
    `## Demo model: ${DEMO_MODEL.name}, batch 1 (input 1x3x48x192 FP32, ${(body.length / 1024).toFixed(0)} KB of JSON)`,
  );
  log();
  log(`Warm latency: ${WARMUP} untimed runs, then ${RUNS} timed runs one at a time.`);
  log();
  log('| path | p50 | p99 | mean |');
  log('| --- | --- | --- | --- |');
  log(
    `| direct \`session.run\`, onnxruntime-node (native) | ${ms(native.p50)} | ${ms(native.p99)} | ${ms(native.mean)} |`,
  );
  log(
    `| direct \`session.run\`, onnxruntime-web (WASM, 1 thread) | ${ms(wasm.p50)} | ${ms(wasm.p99)} | ${ms(wasm.mean)} |`,
  );
  log(
    `| HTTP through the local platform (WASM; auth, registry, metering) | ${ms(http.p50)} | ${ms(http.p99)} | ${ms(http.mean)} |`,
  );
  log();
  log(`- WASM / native p50: ${(wasm.p50 / native.p50).toFixed(2)}x`);
  log(
    `- Platform over direct WASM, p50: +${ms(http.p50 - wasm.p50)} (${(http.p50 / wasm.p50).toFixed(2)}x); this includes`,
  );
  log(
    '  parsing and validating 27,648 JSON numbers, HTTP on loopback, the API Gateway event emulation, and one',
  );
  log('  DynamoDB UpdateItem (dynalite) for metering.');
  log();
  log(`Throughput through the local platform: ${load.connections} connections for ${load.duration} s:`);
  log(
    `**${load.requests.average.toFixed(1)} requests/s** (p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms),`,
  );
  log(`${load.non2xx} non-2xx, ${load.errors} errors, ${load.timeouts} timeouts.`);
  log();
  log(`Local platform start to ready (first start, seeding included): ${ms(platform.readyMs)}.`);
  log();
  log('## Lambda bundles');
  log();
  log('| function | zipped | unzipped |');
  log('| --- | --- | --- |');
  for (const bundle of bundles) {
    log(
      `| ${bundle.name} | ${(bundle.zippedBytes / 1024 ** 2).toFixed(2)} MB | ${(bundle.unzippedBytes / 1024 ** 2).toFixed(2)} MB |`,
    );
  }
  log();
  await writeFile(path.join(ROOT, 'docs', 'benchmarks.md'), `${lines.join('\n')}\n`);
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
