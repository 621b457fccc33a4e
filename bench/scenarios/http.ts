import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../processes';
import { startPlatformProcess, type BenchPlan, type BenchTable } from '../local-platform';
import type { BenchModel } from '../models';
import { ms, summarize, type LatencySummary } from '../stats';

/** One HTTP server measured one request at a time, then under concurrent load. */
export interface HttpResult {
  readonly label: string;
  readonly sequential: LatencySummary;
  readonly requestsPerSecond: number;
  readonly loadP50: number;
  readonly loadP99: number;
  readonly failures: number;
  /** Spawn to ready, when measured. */
  readonly readyMs?: number;
}

export interface HttpSettings {
  readonly runs: number;
  readonly warmup: number;
  readonly loadSeconds: number;
  readonly connections: number;
}

/** Platform p50 over bare-server p50: the platform overhead goal. */
export const PLATFORM_OVERHEAD_GOAL_MS = 2;

export function inferBody(model: BenchModel): string {
  return JSON.stringify({
    inputs: Object.entries(model.feeds).map(([name, tensor]) => ({
      name,
      shape: tensor.shape,
      datatype: tensor.datatype,
      data: Array.from(tensor.data, Number),
    })),
  });
}

/** A server to measure: where to send the infer request, and how to stop it. */
export interface HttpTarget {
  readonly label: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Spawn to ready. */
  readonly readyMs: number;
  stop(): Promise<void>;
}

/**
 * Measures every target with the same body. One request at a time, interleaved: each round
 * sends one request to each target, in an order that rotates every round, so that the
 * machine's drift (other jobs, CPU frequency) falls on every target alike and their
 * differences are comparable. Then each target alone under autocannon's load.
 */
export async function measureHttp(
  targets: readonly HttpTarget[],
  body: string,
  settings: HttpSettings,
): Promise<HttpResult[]> {
  const call = async (target: HttpTarget) => {
    const response = await fetch(target.url, { method: 'POST', headers: target.headers, body });
    if (response.status !== 200)
      throw new Error(`${target.label}: infer answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };
  const samples = targets.map((): number[] => []);
  for (let round = 0; round < settings.warmup + settings.runs; round++) {
    for (let step = 0; step < targets.length; step++) {
      const index = (round + step) % targets.length;
      const target = targets[index];
      if (target === undefined) continue;
      const started = performance.now();
      await call(target);
      if (round >= settings.warmup) samples[index]?.push(performance.now() - started);
    }
  }
  const results: HttpResult[] = [];
  for (const [index, target] of targets.entries()) {
    const load = await autocannon({
      url: target.url,
      method: 'POST',
      headers: target.headers,
      body,
      connections: settings.connections,
      duration: settings.loadSeconds,
    });
    results.push({
      label: target.label,
      sequential: summarize(samples[index] ?? []),
      requestsPerSecond: load.requests.average,
      loadP50: load.latency.p50,
      loadP99: load.latency.p99,
      failures: load.non2xx + load.errors + load.timeouts,
      readyMs: target.readyMs,
    });
  }
  return results;
}

const PLAN_LABELS: Record<BenchPlan, string> = {
  enterprise: 'tenant on `enterprise`: one write admits and meters, before the response',
  'no-limits': 'tenant on a plan without limits: the usage write after the response',
};

const TABLE_LABELS: Record<BenchTable, string> = {
  embedded: 'dynalite in its process',
  separate: 'dynalite in a process of its own',
};

/** The local platform (`npm start`) with the given key cache TTL, demo tenant plan and table, on its seeded demo model. */
export async function startPlatformTarget(
  keyCacheTtlSeconds: number,
  plan: BenchPlan = 'enterprise',
  table: BenchTable = 'embedded',
): Promise<HttpTarget> {
  const platform = await startPlatformProcess(
    { INFERGATE_KEY_CACHE_TTL_SECONDS: String(keyCacheTtlSeconds) },
    plan,
    table,
  );
  return {
    label: `local platform (${PLAN_LABELS[plan]}; ${TABLE_LABELS[table]}), \`INFERGATE_KEY_CACHE_TTL_SECONDS=${keyCacheTtlSeconds}\``,
    url: `${platform.url}/v2/models/${platform.demoModel}/infer`,
    headers: { authorization: `Bearer ${platform.demoKey}`, 'content-type': 'application/json' },
    readyMs: platform.readyMs,
    stop: () => platform.stop(),
  };
}

/** bench/children/bare-server.ts in its own process, on the same model bytes. */
export async function startBareTarget(model: BenchModel): Promise<HttpTarget> {
  const dir = await mkdtemp(path.join(tmpdir(), 'infergate-bare-'));
  const modelFile = path.join(dir, 'model.onnx');
  await writeFile(modelFile, model.fp32);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '..', 'children', 'bare-server.ts'), modelFile],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGINT');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening (\d+)/.exec(output);
        if (match?.[1] !== undefined) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`the bare server exited with ${code}: ${output}`)));
    });
    return {
      label: 'bare node:http server (JSON parse + `session.run`, WASM)',
      url: `http://127.0.0.1:${port}/`,
      headers: { 'content-type': 'application/json' },
      readyMs: performance.now() - started,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export function reportHttp(
  model: BenchModel,
  direct: LatencySummary,
  bare: HttpResult,
  platforms: readonly HttpResult[],
  settings: HttpSettings,
): string[] {
  const body = inferBody(model);
  const lines = [
    `## Through HTTP: ${model.name}, batch 1 (${(body.length / 1024).toFixed(0)} KB of JSON per request)`,
    '',
    `One request at a time, the servers interleaved (each round one request to each, in a rotating order):`,
    `${settings.warmup} untimed rounds, then ${settings.runs} timed. Load: autocannon, each server alone,`,
    `${settings.connections} connections for ${settings.loadSeconds} s. Each server runs in its own process; the`,
    'platform is `local/main.ts` (`npm start`: the API Gateway emulation, the Lambda handler, dynalite, s3rver).',
    '',
    '| path | p50 | p99 | mean | requests/s under load | load p50 | load p99 | failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| direct \`LoadedModel.run\`, WASM, in process (no HTTP) | ${ms(direct.p50)} | ${ms(direct.p99)} | ${ms(direct.mean)} | | | | |`,
  ];
  for (const result of [bare, ...platforms]) {
    const s = result.sequential;
    lines.push(
      `| ${result.label} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.mean)} | **${result.requestsPerSecond.toFixed(1)}** | ${result.loadP50} ms | ${result.loadP99} ms | ${result.failures} |`,
    );
  }
  lines.push('');
  lines.push(
    `- The bare server over direct WASM, p50: +${ms(bare.sequential.p50 - direct.p50)}: JSON of ${model.name}'s input, HTTP on loopback.`,
  );
  for (const platform of platforms) {
    const overhead = platform.sequential.p50 - bare.sequential.p50;
    lines.push(
      `- Platform overhead (${platform.label} p50 minus bare p50): **${ms(overhead)}**; ` +
        `goal <= ${PLATFORM_OVERHEAD_GOAL_MS} ms: **${overhead <= PLATFORM_OVERHEAD_GOAL_MS ? 'met' : 'not met'}**. ` +
        `Throughput ${(platform.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}x the bare server's.`,
    );
  }
  lines.push(
    '- With TTL 0 (the local default, for immediate revocation) every request reads the key, the model and',
    '  its alias from dynalite (about 3 ms per operation here); with 60 (the AWS setting) they are cached,',
    '  and what remains per request is validation of the OIP body, the API Gateway emulation and',
    '  metering.',
  );
  lines.push(
    `- "${TABLE_LABELS.separate}": \`npm start -- --dynamodb-endpoint\` against dynalite started in another process`,
    '  (bench/children/table-server.ts), as DynamoDB on AWS is another service whose work does not take the',
    "  function's CPU; `npm start` alone embeds it, and then the table's work after each response (a",
    '  deferred usage write) competes with the next request on the same event loop.',
  );
  const first = platforms.find((platform) => platform.label.includes(TABLE_LABELS.embedded));
  if (first?.readyMs !== undefined)
    lines.push(`- Local platform start to ready (first start, seeding included): ${ms(first.readyMs)}.`);
  lines.push('');
  return lines;
}
