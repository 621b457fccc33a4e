import { Command, InvalidArgumentError } from 'commander';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ENV } from '../functions/constants';
import { ROUTES } from '../functions/routes';
import {
  createDocumentClient,
  createTable,
  DynamoRegistryStore,
  DynamoUsageStore,
} from '../functions/adapters/dynamodb';
import { S3ArtifactStore } from '../functions/adapters/s3';
import { formatGpuEndpoints } from '../functions/core/endpoints';
import { GPU_CATALOG, gpuEndpointRefsFor } from '../models/catalog';
import { OCR_MODEL } from '../models/pretrained-pipelines';
import { startApiGatewayServer } from './apigw-server';
import { deployCatalogComponents } from './sagemaker/catalog-components';
import { startLocalSageMaker } from './sagemaker/endpoint-server';
import { startLocalArtifactStore, startLocalDynamo } from './services';
import { InfergateClient } from '../client';
import { ensureDefaultPlansThroughApi, seedLocalPlatform } from './seed';
import { localStateFile, readLocalState, type LocalState } from './state';
import { startLocalUsageReplay } from './usage-replay';

/**
 * `npm start`: the whole platform on one machine. The same Lambda handlers that deploy
 * to AWS run behind a local API Gateway (payload 2.0) server, against dynalite (DynamoDB)
 * and s3rver (S3) reached through the real AWS SDK. Only configuration differs.
 */
const TABLE_NAME = 'infergate';
const BUCKET = 'infergate-artifacts';

interface Options {
  readonly port: number;
  readonly host: string;
  readonly inMemory: boolean;
  readonly dynamodbEndpoint?: string;
}

function parseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href.replace(/\/$/, '');
  } catch {
    // Reported below, as commander reports a bad value.
  }
  throw new InvalidArgumentError('an http(s) URL such as http://127.0.0.1:8000');
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('a port from 0 to 65535');
  return port;
}

/** `INFERGATE_DYNAMODB_ENDPOINT`, the default of `--dynamodb-endpoint`. */
function externalTableFromEnv(): string | undefined {
  const value = process.env[ENV.DYNAMODB_ENDPOINT];
  return value === undefined || value === '' ? undefined : parseUrl(value);
}

async function main(): Promise<void> {
  const program = new Command('infergate-local')
    .description('Run the Infergate platform locally')
    .option(
      '--port <port>',
      'port to listen on (0 picks a free one)',
      parsePort,
      parsePort(process.env.INFERGATE_PORT ?? '8080'),
    )
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--dynamodb-endpoint <url>',
      'a DynamoDB-compatible server already running (dynalite, DynamoDB Local) instead of the embedded one',
      parseUrl,
      externalTableFromEnv(),
    )
    .option('--in-memory', 'keep no state: a throwaway run', false)
    .parse();
  const options = program.opts<Options>();
  const started = performance.now();
  // The platform pins its SDK with the lockfile; the Node 22 notice is for upgrades, not this run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const home = options.inMemory
    ? await mkdtemp(path.join(tmpdir(), 'infergate-'))
    : path.resolve(process.env.INFERGATE_HOME ?? '.infergate');
  await mkdir(home, { recursive: true });

  // The embedded table, or one in another process (as DynamoDB is another service on AWS).
  const dynamo =
    options.dynamodbEndpoint === undefined
      ? await startLocalDynamo({ dir: options.inMemory ? undefined : path.join(home, 'dynamodb') })
      : { endpoint: options.dynamodbEndpoint, close: async () => undefined };
  const s3 = await startLocalArtifactStore({ dir: path.join(home, 'artifacts'), bucket: BUCKET });
  // The GPU tier: the catalog's endpoints on a local SageMaker (the runtime API the SDK calls,
  // and Triton-like containers that run the registered model.tar.gz on onnxruntime-node).
  const gpuEndpoints = gpuEndpointRefsFor('local', GPU_CATALOG);
  const gpuArtifacts = new S3ArtifactStore({
    bucket: BUCKET,
    client: new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
  });
  const sagemaker = await startLocalSageMaker({
    endpoints: gpuEndpoints,
    artifacts: gpuArtifacts,
    // Component-based entries serve the model deployed with them: packed here as at synth.
    componentArchives: await deployCatalogComponents(GPU_CATALOG, 'local', gpuArtifacts),
  });

  // Configuration, exactly as the CDK app sets it in AWS, with endpoint overrides.
  const env: Record<string, string> = {
    [ENV.STAGE]: 'local',
    [ENV.TABLE_NAME]: TABLE_NAME,
    [ENV.ARTIFACT_BUCKET]: BUCKET,
    [ENV.DYNAMODB_ENDPOINT]: dynamo.endpoint,
    [ENV.S3_ENDPOINT]: s3.endpoint,
    [ENV.SAGEMAKER_ENDPOINT]: sagemaker.endpoint,
    [ENV.SAGEMAKER_ENDPOINTS]: formatGpuEndpoints(gpuEndpoints),
    [ENV.KEY_CACHE_TTL_SECONDS]: process.env[ENV.KEY_CACHE_TTL_SECONDS] ?? '0',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    // dynalite accepts any credentials; s3rver knows one access key.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  };
  Object.assign(process.env, env);

  const dynamodbClient = new DynamoDBClient({ endpoint: dynamo.endpoint });
  await createTable(dynamodbClient, TABLE_NAME);

  // Imported only now: the handlers read their configuration at load, like a cold start.
  const [{ handler: inference, afterResponse }, { handler: admin }, { handler: replayUsage }] =
    await Promise.all([
      import('../functions/inference/handler'),
      import('../functions/admin/handler'),
      import('../functions/usage-replay/handler'),
    ]);
  // The usage replay function's schedule: usage spilled while the table failed (or before a
  // crash) is applied at start, then every 30 s.
  const usageReplay = startLocalUsageReplay(
    () => replayUsage(),
    30_000,
    (error) =>
      process.stderr.write(
        `infergate: usage replay failed, retrying in 30 s: ${error instanceof Error ? error.message : String(error)}\n`,
      ),
  );
  await usageReplay.first;
  // The server drains the inference function's usage writes after each response, as the
  // extension does on Lambda (INFERGATE_METER_AFTER_RESPONSE=false: written before it).
  afterResponse?.enable();
  const server = await startApiGatewayServer({
    port: options.port,
    host: options.host,
    routes: ROUTES,
    handlers: { inference, admin },
    defaultFunction: 'inference',
    functions: {
      inference: {
        afterInvocation: async (context) => afterResponse?.drain(context.getRemainingTimeInMillis()),
      },
    },
  });

  const stateFile = localStateFile(home);
  let state = await readLocalState(stateFile);
  let fresh = false;
  if (state === undefined) {
    const documentClient = createDocumentClient({ client: dynamodbClient });
    const seed = await seedLocalPlatform({
      url: server.url,
      store: new DynamoRegistryStore({ tableName: TABLE_NAME, client: documentClient }),
      usage: new DynamoUsageStore({ tableName: TABLE_NAME, client: documentClient }),
      artifacts: new S3ArtifactStore({
        bucket: BUCKET,
        client: new S3Client({ endpoint: s3.endpoint, forcePathStyle: true }),
      }),
    });
    state = { url: server.url, adminKey: seed.adminKey, demoKey: seed.demoKey, demoModel: seed.demoModel };
    fresh = true;
  } else {
    state = { ...state, url: server.url };
    // State kept from a version without plans gets the default plans (idempotent).
    const created = await ensureDefaultPlansThroughApi(
      new InfergateClient({ url: server.url, apiKey: state.adminKey }),
    );
    if (created.length > 0) process.stdout.write(`added the default plans ${created.join(', ')}\n`);
  }
  await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(stateFile, 0o600);
  printBanner(state, fresh, stateFile, options.inMemory, performance.now() - started);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping...\n`);
    await server.close();
    await usageReplay.stop();
    await sagemaker.close();
    await Promise.all([dynamo.close(), s3.close()]);
    if (options.inMemory) await rm(home, { recursive: true, force: true });
    process.stdout.write('stopped; state kept.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function printBanner(
  state: LocalState,
  fresh: boolean,
  stateFile: string,
  inMemory: boolean,
  ms: number,
): void {
  const lines = [
    '',
    `Infergate is running at ${state.url} (ready in ${(ms / 1000).toFixed(1)} s)`,
    inMemory
      ? `  state: in memory (gone when this process stops); for the CLI: export INFERGATE_HOME=${path.dirname(stateFile)}`
      : `  state: ${path.dirname(stateFile)}`,
  ];
  if (fresh) {
    lines.push(
      '',
      'First start: keys are shown this once (and kept for scripts in a 0600 file):',
      `  admin key: ${state.adminKey}`,
      `  demo key:  ${state.demoKey}`,
    );
  } else {
    lines.push(`  keys: in ${stateFile}`);
  }
  lines.push(
    '',
    `Try the demo model "${state.demoModel}":`,
    `  curl -s ${state.url}/v2/models/${state.demoModel} -H "Authorization: Bearer $(node -p "require('${stateFile}').demoKey")"`,
    '',
    `  curl -s ${state.url}/v2/models/${state.demoModel}/infer \\`,
    `    -H "Authorization: Bearer $(node -p "require('${stateFile}').demoKey")" -H 'content-type: application/json' \\`,
    `    -d "$(node -e "console.log(JSON.stringify({inputs:[{name:'x',shape:[1,3,48,192],datatype:'FP32',data:new Array(3*48*192).fill(0.5)}]}))")"`,
    '',
    `Read a line of text with "${OCR_MODEL.name}" (line.png: an image of one line; upside down works too):`,
    `  curl -s ${state.url}/v1/models/${OCR_MODEL.name}/predict -H 'content-type: image/png' --data-binary @line.png \\`,
    `    -H "Authorization: Bearer $(node -p "require('${stateFile}').demoKey")"`,
    '',
    'CLI: npx infergate --help    Stop: Ctrl-C',
    '',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `infergate: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
