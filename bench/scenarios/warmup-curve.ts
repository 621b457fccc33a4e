import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lastJsonLine, runProcess } from '../processes';
import type { BenchModel } from '../models';
import { median, ms } from '../stats';

/** How one configuration of a fresh process behaves over its first runs of a model. */
export interface WarmupCurve {
  readonly label: string;
  readonly createMs: number;
  readonly loadMs: number;
  readonly warmupMs: number;
  readonly firstRun: number;
  readonly runs2to10: number;
  readonly runs11to100: number;
  readonly runs101to300: number;
}

export interface WarmupVariant {
  readonly label: string;
  /** V8 flags given to node. */
  readonly v8Flags: readonly string[];
  readonly warmupRuns: number;
  /** `WasmRuntimeOptions.tieringBudget`; the runtime's default when absent. */
  readonly tieringBudget?: number;
}

interface ChildResult {
  readonly createMs: number;
  readonly loadMs: number;
  readonly warmupMs: number;
  readonly runs: number[];
}

function isChildResult(value: unknown): value is ChildResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    'runs' in value &&
    Array.isArray(value.runs) &&
    'createMs' in value &&
    'loadMs' in value &&
    'warmupMs' in value
  );
}

/**
 * Each variant in `repeats` fresh processes (interleaved, so that machine noise spreads
 * over all of them); each phase is the median over the repeats.
 */
export async function measureWarmupCurves(
  model: BenchModel,
  variants: readonly WarmupVariant[],
  repeats: number,
): Promise<WarmupCurve[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'infergate-curve-'));
  try {
    const modelFile = path.join(dir, 'model.onnx');
    const feedFile = path.join(dir, 'feeds.json');
    await writeFile(modelFile, model.fp32);
    const [name, tensor] = Object.entries(model.feeds)[0] ?? [];
    if (name === undefined || tensor === undefined || !(tensor.data instanceof Float32Array))
      throw new Error(`${model.name}: one FP32 input expected`);
    await writeFile(feedFile, JSON.stringify({ name, shape: tensor.shape, data: [...tensor.data] }));
    const results = variants.map((): ChildResult[] => []);
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const [index, variant] of variants.entries()) {
        const stdout = await runProcess([
          ...variant.v8Flags,
          '--import',
          'tsx',
          path.join(__dirname, '..', 'children', 'warmup-curve.ts'),
          modelFile,
          feedFile,
          String(variant.warmupRuns),
          '300',
          ...(variant.tieringBudget === undefined ? [] : [String(variant.tieringBudget)]),
        ]);
        const result = lastJsonLine(stdout);
        if (!isChildResult(result)) throw new Error(`unexpected warm-up child output: ${stdout}`);
        results[index]?.push(result);
      }
    }
    return variants.map((variant, index) => {
      const runs = results[index] ?? [];
      const phase = (pick: (result: ChildResult) => number) => median(runs.map(pick));
      return {
        label: variant.label,
        createMs: phase((r) => r.createMs),
        loadMs: phase((r) => r.loadMs),
        warmupMs: phase((r) => r.warmupMs),
        firstRun: phase((r) => r.runs[0] ?? Number.NaN),
        runs2to10: phase((r) => median(r.runs.slice(1, 10))),
        runs11to100: phase((r) => median(r.runs.slice(10, 100))),
        runs101to300: phase((r) => median(r.runs.slice(100, 300))),
      };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function reportWarmupCurves(
  model: BenchModel,
  curves: readonly WarmupCurve[],
  repeats: number,
): string[] {
  const lines = [
    `## Warm-up: the first runs of a fresh process (${model.name}, WASM)`,
    '',
    `Each configuration in ${repeats} fresh processes (bench/children/warmup-curve.ts), interleaved; every cell is`,
    'the median over those processes (a run range: the median of that range in each process first).',
    '`WasmRuntime.create` includes compiling the WASM module and loading its tiny built-in model.',
    '',
    '| configuration | create | load | warm-up at load | 1st run | runs 2-10 | runs 11-100 | runs 101-300 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const curve of curves) {
    lines.push(
      `| ${curve.label} | ${ms(curve.createMs)} | ${ms(curve.loadMs)} | ${ms(curve.warmupMs)} | ${ms(curve.firstRun)} | ${ms(curve.runs2to10)} | ${ms(curve.runs11to100)} | ${ms(curve.runs101to300)} |`,
    );
  }
  lines.push('');
  return lines;
}
