import { randomBytes } from 'node:crypto';
import { cpSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createDocumentClient,
  DynamoRegistryStore,
  DynamoUsageStore,
} from '../../functions/adapters/dynamodb';
import { wasmTierRuntimes } from '../../functions/adapters/onnx/tier-runtimes';
import { DEFAULT_WASM_TIERING_BUDGET } from '../../functions/adapters/onnx/wasm-runtime';
import { S3ArtifactStore } from '../../functions/adapters/s3';
import { ENV, MAX_ARTIFACT_BYTES } from '../../functions/constants';
import { AdminService } from '../../functions/core/admin/admin-service';
import { uploadKey } from '../../functions/core/artifacts';
import { ModelValidator } from '../../functions/core/validation';
import { startDynalite } from '../../test/support/dynalite';
import { LOCAL_S3, startS3rver } from '../../test/support/s3rver';
import { buildBundles } from '../../infra/scripts/build-bundles';
import { lastJsonLine, ROOT, runProcess } from '../processes';
import { textDirectionModel, type BenchModel } from '../models';
import { median, ms } from '../stats';

/** Phases of a cold start, in milliseconds since the process started (its time origin). */
export interface ColdStart {
  readonly label: string;
  /** The module (bundle or onnxruntime package) is imported: for the bundle, its init phase included. */
  readonly imported: number;
  /** The runtime is ready: the handler's init promise settled, or the session created. */
  readonly ready: number;
  /** The first inference answered. */
  readonly firstResponse: number;
  /**
   * From ready to the first response: what the first request waits for once the init phase
   * is over (on Lambda, with provisioned concurrency or when the init ran ahead of it).
   */
  readonly afterInit: number;
  /** Spawn to exit, measured by the parent (process start and exit included). */
  readonly wall: number;
}

/** The Lambda-tier cold start goal, to the first response. */
export const COLD_START_GOAL_MS = 400;

/**
 * Imports the bundle's index.mjs and invokes its handler twice: a request for an unknown
 * route (it waits for the init phase, so its answer marks "ready") and then the infer
 * request. Prints the phases as one JSON line.
 */
const HANDLER_RUNNER = `
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
const [assetDir, readyEventFile, inferEventFile] = process.argv.slice(2);
const [readyEvent, inferEvent] = await Promise.all([readFile(readyEventFile, 'utf8'), readFile(inferEventFile, 'utf8')]);
const { handler } = await import(pathToFileURL(join(assetDir, 'index.mjs')).href);
const imported = performance.now();
const context = {
  awsRequestId: 'bench', functionName: 'bench', functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', memoryLimitInMB: '2048',
  logGroupName: '/aws/lambda/bench', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 28000,
};
await handler(JSON.parse(readyEvent), context);
const ready = performance.now();
const result = await handler(JSON.parse(inferEvent), context);
const firstResponse = performance.now();
if (result.statusCode !== 200) throw new Error('infer answered ' + result.statusCode + ': ' + result.body);
process.stdout.write('\\n' + JSON.stringify({ imported, ready, firstResponse }) + '\\n');
process.exit(0);
`;

/** The same without the platform: import onnxruntime, create a session from the bytes, run once. */
const RUNTIME_RUNNER = `
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
const [entry, kind, modelFile, feedFile] = process.argv.slice(2);
const [bytes, feed] = await Promise.all([readFile(modelFile), readFile(feedFile, 'utf8')]);
const module = await import(pathToFileURL(entry).href);
const ort = module.default ?? module;
const imported = performance.now();
const options = { graphOptimizationLevel: 'all', logSeverityLevel: 4 };
if (kind === 'web') {
  ort.env.wasm.numThreads = 1;
  options.executionProviders = ['wasm'];
} else {
  options.intraOpNumThreads = 1;
}
const session = await ort.InferenceSession.create(new Uint8Array(bytes), options);
const ready = performance.now();
const { name, shape, data } = JSON.parse(feed);
await session.run({ [name]: new ort.Tensor('float32', Float32Array.from(data), shape) });
const firstResponse = performance.now();
process.stdout.write('\\n' + JSON.stringify({ imported, ready, firstResponse }) + '\\n');
process.exit(0);
`;

function isPhases(value: unknown): value is Omit<ColdStart, 'label' | 'wall' | 'afterInit'> {
  return (
    typeof value === 'object' &&
    value !== null &&
    'imported' in value &&
    'ready' in value &&
    'firstResponse' in value
  );
}

/**
 * Cold starts of the bundled inference handler (copied to an empty directory, no
 * node_modules, against dynalite and s3rver, like test/infra/assets.test.ts) and of bare
 * onnxruntime-web and onnxruntime-node processes on the same model bytes.
 */
export async function measureColdStarts(
  inferenceAssetDir: string,
  model: BenchModel,
  repeats: number,
): Promise<ColdStart[]> {
  const work = await mkdtemp(path.join(tmpdir(), 'infergate-cold-'));
  const [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  try {
    const asset = path.join(work, 'inference');
    cpSync(inferenceAssetDir, asset, { recursive: true });
    const handlerRunner = path.join(work, 'handler-runner.mjs');
    const runtimeRunner = path.join(work, 'runtime-runner.mjs');
    const modelFile = path.join(work, 'model.onnx');
    const feedFile = path.join(work, 'feeds.json');
    const [inputName, input] = Object.entries(model.feeds)[0] ?? [];
    if (inputName === undefined || input === undefined || !(input.data instanceof Float32Array))
      throw new Error(`${model.name}: one FP32 input expected`);
    await Promise.all([
      writeFile(handlerRunner, HANDLER_RUNNER),
      writeFile(runtimeRunner, RUNTIME_RUNNER),
      writeFile(modelFile, model.fp32),
      writeFile(feedFile, JSON.stringify({ name: inputName, shape: input.shape, data: [...input.data] })),
    ]);

    // The registry and the artifact, as the admin API leaves them.
    const documentClient = createDocumentClient({ client: dynamo.client });
    const artifacts = new S3ArtifactStore({ bucket: s3.bucket, client: s3.client });
    const admin = new AdminService({
      store: new DynamoRegistryStore({ tableName: dynamo.tableName, client: documentClient }),
      artifacts,
      usage: new DynamoUsageStore({ tableName: dynamo.tableName, client: documentClient }),
      validator: new ModelValidator({ runtimes: wasmTierRuntimes(), maxModelBytes: MAX_ARTIFACT_BYTES }),
      uploadUrlTtlSeconds: 900,
    });
    const tenantId = (await admin.createTenant({ name: 'bench' })).tenantId;
    const key = (await admin.createKey({ tenantId, scopes: ['infer'] })).key;
    const uploadId = randomBytes(16).toString('hex');
    await artifacts.put(uploadKey(uploadId), model.fp32);
    await admin.createModel({ name: model.name, visibility: 'public' });
    const version = await admin.createVersion(model.name, uploadId, 'lambda');
    await admin.setAlias(model.name, 'prod', version.version);

    const readyEvent = path.join(work, 'ready-event.json');
    const inferEvent = path.join(work, 'infer-event.json');
    await writeFile(readyEvent, JSON.stringify(httpEvent('GET', '/bench-ready', {})));
    await writeFile(
      inferEvent,
      JSON.stringify(
        httpEvent('POST', `/v2/models/${model.name}/infer`, {
          routeKey: 'POST /v2/models/{name}/infer',
          pathParameters: { name: model.name },
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            inputs: [{ name: inputName, datatype: 'FP32', shape: input.shape, data: [...input.data] }],
          }),
        }),
      ),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_REGION: LOCAL_S3.region,
      AWS_ACCESS_KEY_ID: LOCAL_S3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3.credentials.secretAccessKey,
      POWERTOOLS_SERVICE_NAME: 'bench',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      [ENV.STAGE]: 'bench',
      [ENV.TABLE_NAME]: dynamo.tableName,
      [ENV.ARTIFACT_BUCKET]: s3.bucket,
      [ENV.DYNAMODB_ENDPOINT]: dynamo.endpoint,
      [ENV.S3_ENDPOINT]: s3.endpoint,
      [ENV.KEY_CACHE_TTL_SECONDS]: '60',
      [ENV.ORT_NUM_THREADS]: '1',
      [ENV.ORT_WASM_DIR]: asset,
    };

    const requireHere = createRequire(path.join(ROOT, 'package.json'));
    const tieringBudget = `--wasm-tiering-budget=${DEFAULT_WASM_TIERING_BUDGET}`;
    const variants: { label: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv }[] = [
      {
        label: 'bundled inference handler (Lambda tier: WASM, auth, registry, S3, metering)',
        args: [handlerRunner, asset, readyEvent, inferEvent],
        cwd: asset,
        env,
      },
      {
        label: 'bare onnxruntime-web, lazy WASM compilation (V8 default)',
        args: [runtimeRunner, requireHere.resolve('onnxruntime-web'), 'web', modelFile, feedFile],
        cwd: work,
        env: { PATH: env.PATH },
      },
      {
        label: 'bare onnxruntime-web, `--no-wasm-lazy-compilation`',
        args: [
          '--no-wasm-lazy-compilation',
          runtimeRunner,
          requireHere.resolve('onnxruntime-web'),
          'web',
          modelFile,
          feedFile,
        ],
        cwd: work,
        env: { PATH: env.PATH },
      },
      {
        label: 'bare onnxruntime-node (native)',
        args: [runtimeRunner, requireHere.resolve('onnxruntime-node'), 'node', modelFile, feedFile],
        cwd: work,
        env: { PATH: env.PATH },
      },
      {
        label: `bare onnxruntime-web, \`${tieringBudget}\` (what \`WasmRuntime.create\` sets)`,
        args: [
          tieringBudget,
          runtimeRunner,
          requireHere.resolve('onnxruntime-web'),
          'web',
          modelFile,
          feedFile,
        ],
        cwd: work,
        env: { PATH: env.PATH },
      },
      {
        label: 'bundled inference handler, no preloading (`INFERGATE_PRELOAD_BYTES=0`)',
        args: [handlerRunner, asset, readyEvent, inferEvent],
        cwd: asset,
        env: { ...env, [ENV.PRELOAD_BYTES]: '0' },
      },
    ];
    const samples = variants.map((): ColdStart[] => []);
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const [index, variant] of variants.entries()) {
        const started = performance.now();
        const stdout = await runProcess(variant.args, { cwd: variant.cwd, env: variant.env });
        const wall = performance.now() - started;
        const phases = lastJsonLine(stdout);
        if (!isPhases(phases)) throw new Error(`unexpected cold start output: ${stdout}`);
        samples[index]?.push({
          label: variant.label,
          ...phases,
          afterInit: phases.firstResponse - phases.ready,
          wall,
        });
      }
    }
    return variants.map((variant, index) => {
      const runs = samples[index] ?? [];
      const phase = (pick: (run: ColdStart) => number) => median(runs.map(pick));
      return {
        label: variant.label,
        imported: phase((run) => run.imported),
        ready: phase((run) => run.ready),
        firstResponse: phase((run) => run.firstResponse),
        afterInit: phase((run) => run.afterInit),
        wall: phase((run) => run.wall),
      };
    });
  } finally {
    await Promise.all([dynamo.stop(), s3.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

export function reportColdStarts(
  model: BenchModel,
  results: readonly ColdStart[],
  repeats: number,
): string[] {
  const lines = [
    `## Cold start: a fresh Node process to its first ${model.name} response`,
    '',
    `Median of ${repeats} fresh processes per row, interleaved. Times are since the process's time origin`,
    '(`performance.now()` in the child), so Node\'s own start-up is included; "wall" is spawn to exit',
    'in the parent. The bundle is the inference asset of `buildBundles` copied to an empty directory (no',
    'node_modules), run against dynalite and s3rver with `INFERGATE_KEY_CACHE_TTL_SECONDS=60`. Its entry',
    '(functions/inference/lambda.ts) awaits the init work at the top level, as Lambda runs it in the init',
    'phase: `createInferenceDeps` (clients, `WasmRuntime.create`) and preloading the `prod` Lambda-tier',
    'models (the S3 download, sha256, `runtime.load` and one warm-up run of the demo model); so',
    '"imported" is the init phase done, and "ready" one request for an unknown route later. The first',
    'response includes key lookup, model resolution, the run and metering (and, without preloading, the',
    'download, load and first run of the model). "After init" is first response minus ready, per',
    'process: what the first request waits for once the init phase is over. The bare rows import',
    'onnxruntime, create a session from the same bytes and run once.',
    '',
    '| process | imported | ready | first response | after init | wall |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    lines.push(
      `| ${result.label} | ${ms(result.imported)} | ${ms(result.ready)} | ${ms(result.firstResponse)} | ${ms(result.afterInit)} | ${ms(result.wall)} |`,
    );
  }
  const bundled = results[0];
  if (bundled !== undefined) {
    lines.push(
      '',
      `**Goal cold start to first response <= ${COLD_START_GOAL_MS} ms (Lambda tier, demo model): ${bundled.firstResponse <= COLD_START_GOAL_MS ? 'met' : 'not met'} from process start (${ms(bundled.firstResponse)}); ${ms(bundled.afterInit)} after the init phase.**`,
    );
  }
  lines.push('');
  return lines;
}

interface HttpEventOptions {
  readonly routeKey?: string;
  readonly pathParameters?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** An API Gateway HTTP API (payload 2.0) event from the infra tests' fixture. */
function httpEvent(method: string, rawPath: string, options: HttpEventOptions): Record<string, unknown> {
  const fixture = record(
    JSON.parse(readFileSync(path.join(ROOT, 'test', 'infra', 'fixtures', 'http-api-event.json'), 'utf8')),
  );
  const routeKey = options.routeKey ?? '$default';
  const requestContext = record(fixture.requestContext);
  return {
    ...fixture,
    routeKey,
    rawPath,
    headers: { ...record(fixture.headers), ...options.headers },
    requestContext: {
      ...requestContext,
      routeKey,
      http: { ...record(requestContext.http), method, path: rawPath },
    },
    ...(options.pathParameters === undefined ? {} : { pathParameters: options.pathParameters }),
    ...(options.body === undefined ? {} : { body: options.body }),
  };
}

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('expected a JSON object');
  return Object.fromEntries(Object.entries(value));
}

/**
 * `npx tsx bench/scenarios/cold-start.ts`: this scenario alone (the bundles built into a
 * temporary directory), printed as markdown. `BENCH_COLD_STARTS` processes per row (5).
 */
async function main(): Promise<void> {
  const repeats = Number(process.env.BENCH_COLD_STARTS ?? 5);
  const out = await mkdtemp(path.join(tmpdir(), 'infergate-cold-bundles-'));
  try {
    const bundles = buildBundles({ outdir: path.join(out, 'cdk.out'), zipDir: path.join(out, 'zips') });
    const inference = bundles.find((bundle) => bundle.name === 'inference');
    if (inference === undefined) throw new Error('buildBundles made no inference asset');
    const model = await textDirectionModel();
    const results = await measureColdStarts(inference.directory, model, repeats);
    process.stdout.write(`${reportColdStarts(model, results, repeats).join('\n')}\n`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `cold-start bench failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
