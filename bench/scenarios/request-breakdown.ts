import { WasmRuntime } from '../../functions/adapters/onnx/wasm-runtime';
import type { UsageEvent } from '../../functions/core/metering/types';
import { decodeInferRequest, encodeInferResponse } from '../../functions/core/tensors/oip-codec';
import { createInferenceApp } from '../../functions/inference/app';
import { createInferenceDeps } from '../../functions/inference/deps';
import { toLambdaHandler } from '../../functions/http/lambda-adapter';
import { buildHttpApiEvent } from '../../local/apigw-event';
import { createLambdaContext } from '../../local/lambda-context';
import { startTestPlatform } from '../../test/support/platform';
import { textDirectionModel, type BenchModel } from '../models';
import { ms } from '../stats';
import { inferBody } from './http';

/**
 * Where the time of one warm infer request goes on the platform, stage by stage, in one
 * process: the inference function's production wiring (`createInferenceDeps`) against
 * dynalite and s3rver, key cache TTL 60 s, a tenant on a plan without limits (so the only
 * DynamoDB operation of a warm request is the usage write). Each stage is the real code of
 * that step run alone; all stages run round-robin, one call each per round, so that drift of
 * the machine falls on all of them alike. The handler row is the whole request as Lambda
 * runs it (event in, result out), the event built beforehand.
 */

export interface BreakdownSettings {
  readonly runs: number;
  readonly warmup: number;
}

export interface BreakdownStage {
  readonly label: string;
  readonly p50: number;
  /** Part of the model's own work, which the bare server does too. */
  readonly bare: boolean;
}

export interface RequestBreakdown {
  readonly model: BenchModel;
  readonly handlerP50: number;
  readonly stages: readonly BreakdownStage[];
}

const HANDLER = 'inference handler: the whole request (event in, result out)';

export async function measureRequestBreakdown(
  model: BenchModel,
  settings: BreakdownSettings,
): Promise<RequestBreakdown> {
  const platform = await startTestPlatform({ keyCacheTtlSeconds: 60 });
  try {
    const { admin } = platform;
    const version = await admin.registerModel(model.name, model.fp32, { visibility: 'public' });
    await admin.setAlias(model.name, 'prod', version.version);
    const free = { perThousandRequests: '0', perComputeSecond: '0' };
    await admin.createPlan({
      planId: 'bench-no-limits',
      prices: { tiers: { lambda: free, sagemaker: free } },
    });
    const { tenantId } = await admin.createTenant({ name: 'bench', plan: 'bench-no-limits' });
    const key = (await admin.createKey({ tenantId })).key;

    const deps = await createInferenceDeps(platform.config);
    const handler = toLambdaHandler(createInferenceApp(deps));
    const body = inferBody(model);
    const bodyBytes = Buffer.from(body);
    const rawHeaders = [
      'host',
      '127.0.0.1',
      'authorization',
      `Bearer ${key}`,
      'content-type',
      'application/json',
      'content-length',
      String(bodyBytes.length),
    ];
    const event = () =>
      buildHttpApiEvent({
        method: 'POST',
        target: { rawPath: `/v2/models/${model.name}/infer`, rawQueryString: '' },
        rawHeaders,
        httpVersion: '1.1',
        sourceIp: '127.0.0.1',
        serverPort: 3000,
        body: bodyBytes,
        route: {
          routeKey: 'POST /v2/models/{name}/infer',
          target: 'inference',
          pathParameters: { name: model.name },
        },
        requestId: 'bench',
        receivedAt: Date.now(),
        apiId: 'local',
        accountId: '000000000000',
      });
    const context = () => createLambdaContext({ functionName: 'infergate-inference', timeoutMs: 30_000 });
    const handlerEvent = event();

    // The pieces, on the same inputs the handler sees.
    const runtime = await WasmRuntime.create();
    const loaded = await runtime.load(model.fp32);
    const principal = await deps.authenticator.authenticate(key);
    const { version: resolved } = await deps.resolver.resolve(principal, model.name);
    const parsed: unknown = JSON.parse(body);
    const decoded = decodeInferRequest(parsed, resolved.inputs, resolved.outputs);
    const outputs = await loaded.run(decoded.inputs);
    const order = resolved.outputs.map((output) => output.name);
    const usage = (): UsageEvent => ({
      tenantId,
      keyId: principal.keyId,
      modelName: model.name,
      version: resolved.version,
      plan: 'bench-no-limits',
      at: new Date(),
      error: false,
      computeMs: 4,
      inputBytes: bodyBytes.length,
      outputBytes: 100,
    });

    const stages: { label: string; bare: boolean; run: () => unknown }[] = [
      {
        label: HANDLER,
        bare: false,
        run: async () => {
          const result = await handler(handlerEvent, context());
          if (result.statusCode !== 200)
            throw new Error(`infer answered ${result.statusCode}: ${result.body}`);
        },
      },
      {
        label: 'API Gateway event from the request (local emulator, before the handler)',
        bare: false,
        run: event,
      },
      {
        label: '`Request` built from the event (lambda-adapter)',
        bare: false,
        run: () => new Request('https://localhost/', { method: 'POST', body }),
      },
      { label: '`JSON.parse` of the body', bare: true, run: () => JSON.parse(body) },
      {
        label: 'OIP decode and checks (`decodeInferRequest`)',
        bare: true,
        run: () => decodeInferRequest(parsed, resolved.inputs, resolved.outputs),
      },
      { label: 'model run (`LoadedModel.run`, WASM)', bare: true, run: () => loaded.run(decoded.inputs) },
      {
        label: 'OIP encode and `JSON.stringify` of the response',
        bare: true,
        run: () =>
          JSON.stringify(
            encodeInferResponse({ modelName: model.name, modelVersion: resolved.version, outputs, order }),
          ),
      },
      { label: 'API key check (cached)', bare: false, run: () => deps.authenticator.authenticate(key) },
      {
        label: 'model resolution (cached)',
        bare: false,
        run: () => deps.resolver.resolve(principal, model.name),
      },
      {
        label: 'usage write (durable recorder: one conditional `UpdateItem` on dynalite)',
        bare: false,
        run: () => deps.usage.record(usage()),
      },
    ];
    const samples = stages.map((): number[] => []);
    for (let round = 0; round < settings.warmup + settings.runs; round++) {
      for (const [index, stage] of stages.entries()) {
        const started = performance.now();
        await stage.run();
        if (round >= settings.warmup) samples[index]?.push(performance.now() - started);
      }
    }
    const p50 = (values: readonly number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    const measured = stages.map((stage, index) => ({
      label: stage.label,
      bare: stage.bare,
      p50: p50(samples[index] ?? []),
    }));
    const [whole, ...parts] = measured;
    if (whole === undefined) throw new Error('no handler timing');
    await loaded.release();
    return { model, handlerP50: whole.p50, stages: parts };
  } finally {
    await platform.stop();
  }
}

export function reportRequestBreakdown(result: RequestBreakdown, settings: BreakdownSettings): string[] {
  const inHandler = result.stages.filter((stage) => !stage.label.startsWith('API Gateway event'));
  const accounted = inHandler.reduce((sum, stage) => sum + stage.p50, 0);
  const bare = inHandler.filter((stage) => stage.bare).reduce((sum, stage) => sum + stage.p50, 0);
  const write = result.stages.find((stage) => stage.label.startsWith('usage write'))?.p50 ?? 0;
  const lines = [
    `## Where a warm request's time goes: ${result.model.name}, batch 1, in process`,
    '',
    "The inference function's production wiring against dynalite and s3rver in one process, key cache TTL",
    '60 s, a tenant on a plan without limits: a warm request reads nothing from DynamoDB and writes one',
    `usage item. Each stage is that step's real code alone; ${settings.warmup} untimed rounds, then ${settings.runs} rounds`,
    'running every stage once in turn; p50 of each.',
    '',
    '| stage | p50 | also in the bare server |',
    '| --- | --- | --- |',
    `| **${HANDLER}** | **${ms(result.handlerP50)}** | |`,
  ];
  for (const stage of result.stages)
    lines.push(`| ${stage.label} | ${ms(stage.p50)} | ${stage.bare ? 'yes' : ''} |`);
  lines.push(
    `| the rest of the handler (Hono routing and middleware, plan, limiter, metrics, logging, conversions; handler minus the stages in it) | ${ms(result.handlerP50 - accounted)} | |`,
    '',
    `- The platform's share of the handler (all but the stages the bare server does too): ${ms(result.handlerP50 - bare)}, of which the usage write ${ms(write)} (dynalite, the SDK and loopback HTTP) and ${ms(result.handlerP50 - bare - write)} everything else.`,
    '',
  );
  return lines;
}

/** `npx tsx bench/scenarios/request-breakdown.ts`: this scenario alone, printed as markdown. */
async function main(): Promise<void> {
  const settings = {
    runs: Number(process.env.BENCH_BREAKDOWN_RUNS ?? 300),
    warmup: Number(process.env.BENCH_BREAKDOWN_WARMUP ?? 50),
  };
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
  const result = await measureRequestBreakdown(await textDirectionModel(), settings);
  process.stdout.write(`${reportRequestBreakdown(result, settings).join('\n')}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `request breakdown failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
