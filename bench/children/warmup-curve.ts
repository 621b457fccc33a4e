/**
 * One fresh process: creates a WasmRuntime, loads a model, optionally warms it up (runs on
 * zeros of the input's shape, what a `warmup(runs)` after load would do), then times each
 * of its first runs. Prints one JSON line. Run by bench/scenarios/warmup-curve.ts, with V8
 * flags (`--no-wasm-lazy-compilation`) given to node:
 *
 *   node [v8 flags] --import tsx bench/children/warmup-curve.ts <model.onnx> <feeds.json> <warmup runs> <timed runs> [tiering budget]
 */
import { readFileSync } from 'node:fs';
import { WasmRuntime } from '../../functions/adapters/onnx/wasm-runtime';
import type { Tensor } from '../../functions/core/tensors/tensor';

interface FeedFile {
  readonly name: string;
  readonly shape: number[];
  readonly data: number[];
}

async function main(): Promise<void> {
  const [modelFile = '', feedFile = '', warmupRuns = '0', timedRuns = '300', tieringBudget] =
    process.argv.slice(2);
  const bytes = new Uint8Array(readFileSync(modelFile));
  const feed = JSON.parse(readFileSync(feedFile, 'utf8')) as FeedFile;
  const feeds: Record<string, Tensor> = {
    [feed.name]: { datatype: 'FP32', shape: feed.shape, data: Float32Array.from(feed.data) },
  };
  const zeros: Record<string, Tensor> = {
    [feed.name]: { datatype: 'FP32', shape: feed.shape, data: new Float32Array(feed.data.length) },
  };
  let started = performance.now();
  const runtime = await WasmRuntime.create(
    tieringBudget === undefined ? {} : { tieringBudget: Number(tieringBudget) },
  );
  const createMs = performance.now() - started;
  started = performance.now();
  const model = await runtime.load(bytes);
  const loadMs = performance.now() - started;
  started = performance.now();
  for (let i = 0; i < Number(warmupRuns); i++) await model.run(zeros);
  const warmupMs = performance.now() - started;
  const runs: number[] = [];
  for (let i = 0; i < Number(timedRuns); i++) {
    started = performance.now();
    await model.run(feeds);
    runs.push(performance.now() - started);
  }
  process.stdout.write(`${JSON.stringify({ createMs, loadMs, warmupMs, runs })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
