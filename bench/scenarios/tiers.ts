import { InfergateClient } from '../../client';
import { startPlatformProcess } from '../local-platform';
import { textDirectionModel, type BenchModel } from '../models';
import { ms, ratio, summarize, type LatencySummary } from '../stats';
import { inferBody } from './http';

/**
 * The same model on both tiers of the local platform (`npm start`), over HTTP: the
 * `lambda` tier (onnxruntime-web, WASM, in the inference handler) and the `sagemaker` tier
 * (the SDK's InvokeEndpoint to the local SageMaker, whose container runs the registered
 * Triton archive on onnxruntime-node, native CPU). Requests alternate between the tiers,
 * so that the machine's drift weighs on both alike.
 */

export interface TierSettings {
  readonly runs: number;
  readonly warmup: number;
}

export interface TierResult {
  readonly model: string;
  readonly bodyBytes: number;
  readonly lambda: LatencySummary;
  readonly sagemaker: LatencySummary;
  /** Compute the platform metered per request (the runtime's run, or the endpoint call). */
  readonly meteredMs: { readonly lambda: number; readonly sagemaker: number };
}

/** Registers `model` on both tiers of a fresh local platform and times them alternately. */
export async function measureTiers(model: BenchModel, settings: TierSettings): Promise<TierResult> {
  // The AWS key cache TTL: per-request store reads would hide the difference between tiers.
  const platform = await startPlatformProcess({ INFERGATE_KEY_CACHE_TTL_SECONDS: '60' });
  try {
    const admin = new InfergateClient({ url: platform.url, apiKey: platform.adminKey });
    const tenant = new InfergateClient({ url: platform.url, apiKey: platform.demoKey });
    const names = { lambda: `${model.name}-lambda`, sagemaker: `${model.name}-sagemaker` } as const;
    for (const tier of ['lambda', 'sagemaker'] as const) {
      const version = await admin.registerModel(names[tier], model.fp32, { visibility: 'public', tier });
      await admin.setAlias(names[tier], 'prod', version.version);
    }
    const body = inferBody(model);
    const headers = { authorization: `Bearer ${platform.demoKey}`, 'content-type': 'application/json' };
    const call = async (name: string): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${platform.url}/v2/models/${name}/infer`, {
        method: 'POST',
        headers,
        body,
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${name}: infer answered ${response.status}: ${text}`);
      return performance.now() - started;
    };
    for (let i = 0; i < settings.warmup; i++) {
      await call(names.lambda);
      await call(names.sagemaker);
    }
    const metered = async () => {
      const rows = (await tenant.usage()).rows;
      const of = (name: string) => {
        const row = rows.find((candidate) => candidate.modelName === name);
        return { requests: row?.requests ?? 0, computeMs: row?.computeMs ?? 0 };
      };
      return { lambda: of(names.lambda), sagemaker: of(names.sagemaker) };
    };
    const before = await metered();
    const samples = { lambda: [] as number[], sagemaker: [] as number[] };
    for (let i = 0; i < settings.runs; i++) {
      // Alternate which tier goes first, so neither always follows the other.
      const order = i % 2 === 0 ? (['lambda', 'sagemaker'] as const) : (['sagemaker', 'lambda'] as const);
      for (const tier of order) samples[tier].push(await call(names[tier]));
    }
    const after = await metered();
    const perRequest = (tier: 'lambda' | 'sagemaker') =>
      (after[tier].computeMs - before[tier].computeMs) /
      Math.max(1, after[tier].requests - before[tier].requests);
    return {
      model: model.name,
      bodyBytes: body.length,
      lambda: summarize(samples.lambda),
      sagemaker: summarize(samples.sagemaker),
      meteredMs: { lambda: perRequest('lambda'), sagemaker: perRequest('sagemaker') },
    };
  } finally {
    await platform.stop();
  }
}

export function reportTiers(results: readonly TierResult[], settings: TierSettings): string[] {
  const lines = [
    '## Tiers: the same model on `lambda` (WASM) and the local `sagemaker` tier (native)',
    '',
    `Over HTTP on the local platform (\`npm start\`, key cache TTL 60 s), batch 1, one request at a time,`,
    `the two tiers alternating: ${settings.warmup} untimed pairs, then ${settings.runs} timed pairs, in one run.`,
    "The `sagemaker` tier here is the real data-plane path (the SDK's `InvokeEndpoint` with an endpoint",
    'override) to the local SageMaker: its runtime API, then the Triton-like container running the',
    'registered `model.tar.gz` on onnxruntime-node with one intra-op thread, on the CPU. It measures the',
    "tier's plumbing against WASM, not a GPU: on AWS the endpoint is Triton on a GPU instance, a network hop away.",
    '',
    '| model | tier | p50 | p99 | mean | metered compute per request |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    for (const tier of ['lambda', 'sagemaker'] as const) {
      const s = result[tier];
      lines.push(
        `| ${result.model} (${(result.bodyBytes / 1024).toFixed(0)} KB of JSON) | \`${tier}\` | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.mean)} | ${ms(result.meteredMs[tier])} |`,
      );
    }
  }
  lines.push('');
  for (const result of results) {
    lines.push(
      `- ${result.model}: \`sagemaker\` over \`lambda\`, p50 **${ratio(result.sagemaker.p50, result.lambda.p50)}**, ` +
        `p99 **${ratio(result.sagemaker.p99, result.lambda.p99)}**.`,
    );
  }
  lines.push(
    "- Metered compute is what usage records: the model's run on `lambda`, the whole endpoint call (both",
    '  HTTP hops, binary tensor data both ways, the run) on `sagemaker`, as on AWS, where it is endpoint time.',
    '',
  );
  return lines;
}

/** `npx tsx bench/scenarios/tiers.ts`: this scenario alone, printed (docs/benchmarks.md is `npm run bench`'s). */
async function main(): Promise<void> {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const settings = { runs: env('BENCH_TIER_RUNS', 300), warmup: env('BENCH_TIER_WARMUP', 50) };
  const result = await measureTiers(await textDirectionModel(), settings);
  process.stdout.write(`${reportTiers([result], settings).join('\n')}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
