import * as ortWeb from 'onnxruntime-web';
import type { InferenceSession } from 'onnxruntime-web';
import { OrtModel } from '../../functions/adapters/onnx/ort-model';
import type { BenchModel } from '../models';
import { ms, ratio, summarize, type LatencySummary } from '../stats';

/** A session-option variant on onnxruntime-web, against the adapter's own options. */
export interface SessionOptionResult {
  readonly label: string;
  readonly summary: LatencySummary;
}

/** What `WasmRuntime.load` passes; every variant starts from it. */
const ADAPTER_OPTIONS: InferenceSession.SessionOptions = {
  executionProviders: ['wasm'],
  graphOptimizationLevel: 'all',
  logSeverityLevel: 4,
};

/** Each named symbolic dimension of the inputs, fixed at the bench input's size. */
async function freeDimensions(model: BenchModel): Promise<Record<string, number>> {
  const session = await ortWeb.InferenceSession.create(model.fp32, ADAPTER_OPTIONS);
  const overrides: Record<string, number> = {};
  for (const input of session.inputMetadata) {
    const feed = model.feeds[input.name];
    if (!input.isTensor || feed === undefined) continue;
    input.shape.forEach((dim, index) => {
      const size = feed.shape[index];
      if (typeof dim === 'string' && dim !== '' && size !== undefined) overrides[dim] = size;
    });
  }
  await session.release();
  return overrides;
}

/**
 * Loads the model once per variant (all at once, in this process, after the WASM runtime
 * is warm) and times them round-robin in `rounds` blocks, each starting at another
 * variant, so that drift of the machine and of V8's tiering falls on every variant alike.
 * Expects a `WasmRuntime` to exist already.
 */
export async function measureSessionOptions(
  model: BenchModel,
  runs: number,
  warmup: number,
  rounds = 5,
): Promise<SessionOptionResult[]> {
  const overrides = await freeDimensions(model);
  const variants: [string, InferenceSession.SessionOptions][] = [
    ['adapter default (`graphOptimizationLevel: all`)', ADAPTER_OPTIONS],
    ['`graphOptimizationLevel: basic`', { ...ADAPTER_OPTIONS, graphOptimizationLevel: 'basic' }],
    ['`graphOptimizationLevel: disabled`', { ...ADAPTER_OPTIONS, graphOptimizationLevel: 'disabled' }],
    ['`executionMode: parallel`', { ...ADAPTER_OPTIONS, executionMode: 'parallel' }],
    ['`enableCpuMemArena: false`', { ...ADAPTER_OPTIONS, enableCpuMemArena: false }],
    ['`enableMemPattern: false`', { ...ADAPTER_OPTIONS, enableMemPattern: false }],
    [
      `\`freeDimensionOverrides\` ${JSON.stringify(overrides)}`,
      { ...ADAPTER_OPTIONS, freeDimensionOverrides: overrides },
    ],
  ];
  const models = await Promise.all(
    variants.map(([, options]) => OrtModel.create(ortWeb, model.fp32, options)),
  );
  try {
    for (const loaded of models) for (let i = 0; i < warmup; i++) await loaded.run(model.feeds);
    const samples = models.map((): number[] => []);
    const perRound = Math.ceil(runs / rounds);
    for (let round = 0; round < rounds; round++) {
      // Each round starts at another variant, so that no variant is always measured first.
      for (let step = 0; step < models.length; step++) {
        const index = (round + step) % models.length;
        const loaded = models[index];
        if (loaded === undefined) continue;
        for (let i = 0; i < perRound; i++) {
          const started = performance.now();
          await loaded.run(model.feeds);
          samples[index]?.push(performance.now() - started);
        }
      }
    }
    return variants.map(([label], index) => ({ label, summary: summarize(samples[index] ?? []) }));
  } finally {
    await Promise.all(models.map((loaded) => loaded.release()));
  }
}

export function reportSessionOptions(
  results: readonly { readonly model: BenchModel; readonly variants: readonly SessionOptionResult[] }[],
  runs: number,
  warmup: number,
): string[] {
  const lines = [
    '### Session options on onnxruntime-web',
    '',
    `Every variant loaded side by side in this process, ${warmup} untimed runs each, then ${runs} timed runs`,
    'each, round-robin in 5 blocks, each block starting at another variant (so that drift of the',
    'machine and the order fall on all of them alike).',
    '',
    '| model | session options | p50 | p99 | p50 / adapter default |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const { model, variants } of results) {
    const base = variants[0]?.summary.p50 ?? Number.NaN;
    for (const variant of variants) {
      lines.push(
        `| ${model.name} | ${variant.label} | ${ms(variant.summary.p50)} | ${ms(variant.summary.p99)} | ${ratio(variant.summary.p50, base)} |`,
      );
    }
  }
  lines.push('');
  for (const { model, variants } of results) {
    const base = variants[0];
    const best = [...variants].sort((a, b) => a.summary.p50 - b.summary.p50)[0];
    if (base === undefined || best === undefined) continue;
    lines.push(
      `- ${model.name}: fastest p50 ${best.label}, ${ratio(best.summary.p50, base.summary.p50)} of the adapter default.`,
    );
  }
  lines.push('');
  return lines;
}
