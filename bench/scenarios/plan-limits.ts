import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixtureModel } from '../../test/support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../test/support/platform';
import { ms, summarize, type LatencySummary } from '../stats';

/**
 * What plan enforcement costs a warm infer request: the DynamoDB operations the table
 * receives per request, by kind, and the latency of its write (the usage row without limits,
 * the day item's admit-and-meter write with them), for a tenant whose plan has no limits
 * and one whose plan has a quota and a rate limit.
 *
 * The platform is the test platform (the real handlers with their production wiring, behind
 * the local API Gateway server), with its DynamoDB endpoint pointed at a counting proxy in
 * front of dynalite: the proxy sees every request the table gets (SDK retries included)
 * without any change to the wiring, and times each write from the moment it forwards it to
 * dynalite's answer.
 */

export interface PlanLimitsSettings {
  readonly runs: number;
  readonly warmup: number;
}

/** DynamoDB operations per request, by kind. */
export interface OperationCounts {
  readonly reads: number;
  readonly writes: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

export interface PlanVariant {
  readonly label: string;
  readonly latency: LatencySummary;
  readonly perRequest: OperationCounts;
}

export interface PlanLimitsResult {
  readonly keyCacheTtlSeconds: number;
  readonly variants: readonly PlanVariant[];
  /** dynalite's time for the admit-and-meter `UpdateItem` (the tenant's day item) and the usage row `UpdateItem`, per write. */
  readonly limiterWrite: LatencySummary;
  readonly usageWrite: LatencySummary;
}

const READS = new Set(['GetItem', 'Query', 'BatchGetItem', 'Scan']);
const WRITES = new Set(['UpdateItem', 'PutItem', 'DeleteItem', 'BatchWriteItem']);

interface CountingProxy {
  readonly url: string;
  target: string;
  readonly counts: Map<string, number>;
  /** Service time of UpdateItems by the item they write: `limit` (a tenant's day item, `LIMIT#<DD>`) or `usage` (a usage row). */
  readonly writeMs: { limit: number[]; usage: number[] };
  reset(): void;
  close(): Promise<void>;
}

async function startCountingProxy(): Promise<CountingProxy> {
  const proxy: Omit<CountingProxy, 'url' | 'close'> = {
    target: '',
    counts: new Map(),
    writeMs: { limit: [], usage: [] },
    reset() {
      proxy.counts.clear();
      proxy.writeMs.limit.length = 0;
      proxy.writeMs.usage.length = 0;
    },
  };
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      if (proxy.target === '') {
        // The platform's init (the preload of prod models) runs before the proxy knows where
        // dynalite listens: answer as an unavailable table, which the preload tolerates.
        outgoing.writeHead(503, { 'content-type': 'application/x-amz-json-1.0' });
        outgoing.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable' }));
        return;
      }
      const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      proxy.counts.set(operation, (proxy.counts.get(operation) ?? 0) + 1);
      const key = operation === 'UpdateItem' ? keyOf(body) : { pk: '', sk: '' };
      const started = performance.now();
      const forward = request(
        `${proxy.target}${incoming.url ?? '/'}`,
        { method: incoming.method, headers: incoming.headers },
        (response) => {
          const answer: Buffer[] = [];
          response.on('data', (chunk: Buffer) => answer.push(chunk));
          response.on('end', () => {
            const elapsed = performance.now() - started;
            if (key.pk.startsWith('USAGE#') && key.sk.startsWith('LIMIT#')) proxy.writeMs.limit.push(elapsed);
            else if (key.pk.startsWith('USAGE#')) proxy.writeMs.usage.push(elapsed);
            outgoing.writeHead(response.statusCode ?? 500, response.headers);
            outgoing.end(Buffer.concat(answer));
          });
        },
      );
      forward.on('error', () => outgoing.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

function keyOf(body: Buffer): { pk: string; sk: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      Key?: { pk?: { S?: string }; sk?: { S?: string } };
    };
    return { pk: parsed.Key?.pk?.S ?? '', sk: parsed.Key?.sk?.S ?? '' };
  } catch {
    return { pk: '', sk: '' };
  }
}

const FREE = { perThousandRequests: '0', perComputeSecond: '0' };
const BODY = JSON.stringify({
  inputs: [
    { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
    { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
  ],
});

/**
 * One platform with the given key cache TTL; two tenants on it, one per plan; warm requests
 * alternating between them (so that drift on a noisy machine hits both alike), then counted
 * requests of each alone.
 */
export async function measurePlanLimits(
  keyCacheTtlSeconds: number,
  settings: PlanLimitsSettings,
): Promise<PlanLimitsResult> {
  const proxy = await startCountingProxy();
  let platform: TestPlatform | undefined;
  try {
    platform = await startTestPlatform({ dynamodbEndpoint: proxy.url, keyCacheTtlSeconds });
    // The platform starts its own dynalite; its handlers reach it only through the proxy.
    proxy.target = platform.dynamo.endpoint;
    const admin = platform.admin;
    const version = await admin.registerModel('bench-add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await admin.setAlias('bench-add-mul', 'prod', version.version);
    const prices = { tiers: { lambda: FREE, sagemaker: FREE } };
    await admin.createPlan({ planId: 'bench-unlimited', prices });
    await admin.createPlan({
      planId: 'bench-limited',
      prices,
      monthlyQuota: 100_000_000,
      rateLimit: { requestsPerSecond: 100_000, burst: 100_000 },
    });
    const keyOn = async (plan: string) => {
      const { tenantId } = await admin.createTenant({ name: plan, plan });
      return (await admin.createKey({ tenantId })).key;
    };
    const tenants = [
      { label: 'plan without limits (a usage row write)', key: await keyOn('bench-unlimited') },
      { label: 'plan with a monthly quota and a rate limit', key: await keyOn('bench-limited') },
    ];
    const url = `${platform.url}/v2/models/bench-add-mul/infer`;
    const call = async (key: string): Promise<number> => {
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: BODY,
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`infer answered ${response.status}`);
      return performance.now() - started;
    };

    for (let i = 0; i < settings.warmup; i++) for (const tenant of tenants) await call(tenant.key);
    proxy.reset();
    const samples = tenants.map(() => [] as number[]);
    for (let i = 0; i < settings.runs; i++) {
      for (const [index, tenant] of tenants.entries()) samples[index]?.push(await call(tenant.key));
    }
    const limiterWrite = summarize(proxy.writeMs.limit);
    const usageWrite = summarize(proxy.writeMs.usage);

    const variants: PlanVariant[] = [];
    for (const [index, tenant] of tenants.entries()) {
      proxy.reset();
      for (let i = 0; i < settings.runs; i++) await call(tenant.key);
      variants.push({
        label: tenant.label,
        latency: summarize(samples[index] ?? []),
        perRequest: perRequest(proxy.counts, settings.runs),
      });
    }
    return { keyCacheTtlSeconds, variants, limiterWrite, usageWrite };
  } finally {
    await platform?.stop();
    await proxy.close();
  }
}

function perRequest(counts: ReadonlyMap<string, number>, requests: number): OperationCounts {
  let reads = 0;
  let writes = 0;
  const byOperation: Record<string, number> = {};
  for (const [operation, count] of counts) {
    byOperation[operation] = count / requests;
    if (READS.has(operation)) reads += count;
    if (WRITES.has(operation)) writes += count;
  }
  return { reads: reads / requests, writes: writes / requests, byOperation };
}

const perRequestText = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));

export function reportPlanLimits(
  results: readonly PlanLimitsResult[],
  settings: PlanLimitsSettings,
): string[] {
  const lines = [
    '## Plan enforcement: DynamoDB operations and latency per warm request',
    '',
    `The test platform (production wiring of both functions behind the local API Gateway server, dynalite),`,
    `its DynamoDB endpoint pointed at a counting proxy. ${settings.warmup} untimed requests per tenant, then`,
    `${settings.runs} timed ones alternating between a tenant on a plan without limits and one on a plan with a`,
    `quota and a rate limit (never reached), then ${settings.runs} counted requests of each alone. The proxy counts`,
    'what the table receives, SDK retries included, and times each write at dynalite.',
    '',
    '| key cache TTL | plan | DynamoDB reads / request | writes / request | operations | p50 | p99 |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    for (const variant of result.variants) {
      const operations = Object.entries(variant.perRequest.byOperation)
        .map(([operation, count]) => `${operation} ${perRequestText(count)}`)
        .join(', ');
      lines.push(
        `| ${result.keyCacheTtlSeconds} s | ${variant.label} | ${perRequestText(variant.perRequest.reads)} | ${perRequestText(variant.perRequest.writes)} | ${operations} | ${ms(variant.latency.p50)} | ${ms(variant.latency.p99)} |`,
      );
    }
  }
  lines.push('');
  for (const result of results) {
    const [unlimited, limited] = result.variants;
    if (unlimited === undefined || limited === undefined) continue;
    lines.push(
      `- TTL ${result.keyCacheTtlSeconds} s: the limits add ${ms(limited.latency.p50 - unlimited.latency.p50)} to the p50 of a request ` +
        `(${ms(unlimited.latency.p50)} to ${ms(limited.latency.p50)}). dynalite's time per write, p50: the admit-and-meter UpdateItem ` +
        `of a limited request (day item) ${ms(result.limiterWrite.p50)}, the usage row UpdateItem of an unlimited one ` +
        `${ms(result.usageWrite.p50)}.`,
    );
  }
  lines.push('');
  return lines;
}

/** `npx tsx bench/scenarios/plan-limits.ts`: this scenario alone, printed as markdown. */
async function main(): Promise<void> {
  const settings = {
    runs: Number(process.env.BENCH_LIMITS_RUNS ?? 300),
    warmup: Number(process.env.BENCH_LIMITS_WARMUP ?? 50),
  };
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
  const results = [await measurePlanLimits(60, settings), await measurePlanLimits(0, settings)];
  process.stdout.write(`${reportPlanLimits(results, settings).join('\n')}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `plan-limits bench failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
