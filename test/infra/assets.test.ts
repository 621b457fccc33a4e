import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  createDocumentClient,
  DynamoRegistryStore,
  DynamoUsageStore,
} from '../../functions/adapters/dynamodb';
import { S3ArtifactStore } from '../../functions/adapters/s3';
import { ENV, OPERATOR_TENANT_ID } from '../../functions/constants';
import { AdminService } from '../../functions/core/admin/admin-service';
import { uploadKey } from '../../functions/core/artifacts';
import { readOnnxSchema } from '../../functions/core/runtime/onnx-schema';
import { functionAssets, INFERENCE_ASSET_LIMIT_BYTES } from '../../infra/function-assets';
import { ORT_RUNTIME_FILES } from '../../infra/bundling';
import { zipDirectory } from '../../infra/zip';
import { DEMO_MODEL, pretrainedFile } from '../../models/pretrained';
import { startDynalite, type LocalDynamo } from '../support/dynalite';
import { LOCAL_S3, startS3rver, type LocalS3 } from '../support/s3rver';
import { at, isRecord, synthApp } from './support/app';

const run = promisify(execFile);

/**
 * The deployable assets, proven outside the repository: the app is synthesized with the
 * real bundling, each function's asset is copied to an empty directory far from any
 * node_modules, and a separate Node process imports it and handles one event against the
 * embedded DynamoDB (dynalite) and S3 (s3rver).
 */
describe('function assets run without node_modules', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'infergate-assets-'));
  const assets = new Map<string, string>();
  let dynamo: LocalDynamo;
  let s3: LocalS3;
  let admin: AdminService;
  let registry: DynamoRegistryStore;
  let adminKey: string;
  let tenantKey: string;
  let tenantId: string;

  beforeAll(async () => {
    const { app, stack } = synthApp({}, { bundle: true, outdir: path.join(work, 'cdk.out') });
    const assembly = app.synth();
    for (const asset of functionAssets(stack, assembly.directory)) {
      const copy = path.join(work, asset.name);
      cpSync(asset.directory, copy, { recursive: true });
      assets.set(asset.name, copy);
    }
    writeFileSync(path.join(work, 'runner.mjs'), RUNNER);

    [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
    const documentClient = createDocumentClient({ client: dynamo.client });
    registry = new DynamoRegistryStore({ tableName: dynamo.tableName, client: documentClient });
    const artifacts = new S3ArtifactStore({ bucket: s3.bucket, client: s3.client });
    admin = new AdminService({
      store: registry,
      artifacts,
      usage: new DynamoUsageStore({ tableName: dynamo.tableName, client: documentClient }),
      readSchema: readOnnxSchema,
      uploadUrlTtlSeconds: 900,
    });
    adminKey = (await admin.createKey({ tenantId: OPERATOR_TENANT_ID, scopes: ['admin'] })).key;
    tenantId = (await admin.createTenant({ name: 'asset-test' })).tenantId;
    tenantKey = (await admin.createKey({ tenantId, scopes: ['infer', 'models:read'] })).key;

    // A real model: PaddleOCR's text-direction classifier, the demo (and dashboard showcase) model.
    const uploadId = randomBytes(16).toString('hex');
    await artifacts.put(uploadKey(uploadId), readFileSync(pretrainedFile(DEMO_MODEL.file)));
    await admin.createModel({ name: DEMO_MODEL.name, visibility: 'public' });
    const version = await admin.createVersion(DEMO_MODEL.name, uploadId, 'lambda');
    await admin.setAlias(DEMO_MODEL.name, 'prod', version.version);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([dynamo?.stop(), s3?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('copies each asset where no node_modules can be found', () => {
    expect([...assets.keys()].sort()).toEqual(['admin', 'bootstrap', 'inference']);
    for (const directory of assets.values()) {
      for (let dir = directory; dir !== path.dirname(dir); dir = path.dirname(dir)) {
        expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
      }
    }
  });

  it('ships onnxruntime-web’s loader and WASM next to the inference bundle, within 25 MB zipped', () => {
    const inference = assetDir('inference');
    for (const file of ['index.mjs', ...ORT_RUNTIME_FILES])
      expect(existsSync(path.join(inference, file))).toBe(true);
    expect(zipDirectory(inference).length).toBeLessThanOrEqual(INFERENCE_ASSET_LIMIT_BYTES);
  });

  it('inference: loads onnxruntime-web and answers an infer request for a real model', async () => {
    const body = {
      id: 'asset-test',
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: new Array(3 * 48 * 192).fill(0) },
      ],
    };

    const { result, stdout } = await invoke(
      'inference',
      httpEvent('POST', `/v2/models/${DEMO_MODEL.name}/infer`, {
        routeKey: 'POST /v2/models/{name}/infer',
        pathParameters: { name: DEMO_MODEL.name },
        headers: { authorization: `Bearer ${tenantKey}` },
        body: JSON.stringify(body),
      }),
      functionEnv({ [ENV.ORT_WASM_DIR]: assetDir('inference') }),
    );

    expect(at(result, 'statusCode')).toBe(200);
    const response: unknown = JSON.parse(String(at(result, 'body')));
    expect(at(response, 'model_name')).toBe(DEMO_MODEL.name);
    expect(at(response, 'outputs', 0, 'name')).toBe('softmax_0.tmp_0');
    expect(at(response, 'outputs', 0, 'shape')).toEqual([1, 2]);
    // Golden output: a blank line is as likely upright (0°) as upside down (180°).
    const data = at(response, 'outputs', 0, 'data');
    expect(Array.isArray(data) && data.length === 2).toBe(true);
    const [upright, flipped] = Array.isArray(data) ? data.map(Number) : [];
    expect(upright).toBeCloseTo(0.4998, 3);
    expect(flipped).toBeCloseTo(0.5002, 3);
    // The per-model EMF metrics the dashboard reads: namespace Infergate, dimensions service and model.
    const emf = stdout
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line): unknown => JSON.parse(line))
      .find((record) => at(record, 'model') === DEMO_MODEL.name);
    expect(at(emf, '_aws', 'CloudWatchMetrics', 0, 'Namespace')).toBe('Infergate');
    expect(at(emf, '_aws', 'CloudWatchMetrics', 0, 'Dimensions', 0)).toEqual(
      expect.arrayContaining(['service', 'model']),
    );
    expect(at(emf, 'InferenceLatency')).toEqual(expect.any(Number));
  });

  it('inference: answers a route it does not know with the platform’s JSON 404', async () => {
    const { result } = await invoke(
      'inference',
      httpEvent('GET', '/nowhere', {}),
      functionEnv({ [ENV.ORT_WASM_DIR]: assetDir('inference') }),
    );

    expect(at(result, 'statusCode')).toBe(404);
    expect(JSON.parse(String(at(result, 'body')))).toEqual(
      expect.objectContaining({ error: expect.anything() }),
    );
  });

  it('admin: loads and lists tenants for the admin key', async () => {
    const { result } = await invoke(
      'admin',
      httpEvent('GET', '/admin/tenants', {
        routeKey: 'GET /admin/tenants',
        headers: { authorization: `Bearer ${adminKey}` },
      }),
      functionEnv({}),
    );

    expect(at(result, 'statusCode')).toBe(200);
    expect(String(at(result, 'body'))).toContain(tenantId);
  });

  it('bootstrap: issues the admin key into the secret and the registry, and returns only its id', async () => {
    const secrets = await startFakeSecretsManager();
    try {
      const event: unknown = JSON.parse(
        readFileSync(path.join(__dirname, 'fixtures', 'custom-resource-create.json'), 'utf8'),
      );
      const properties = { ...record(at(event, 'ResourceProperties')), TableName: dynamo.tableName };

      const { result } = await invoke(
        'bootstrap',
        { ...record(event), ResourceProperties: properties },
        {
          ...functionEnv({}),
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        },
      );

      const keyId = at(result, 'PhysicalResourceId');
      expect(at(result, 'Data')).toEqual({ KeyId: keyId });
      expect(secrets.calls).toHaveLength(1);
      const call = secrets.calls[0];
      expect(at(call, 'SecretId')).toBe(at(properties, 'SecretId'));
      const key = String(at(call, 'SecretString'));
      expect(key).toMatch(new RegExp(`^igk_${String(keyId)}_`));
      expect(JSON.stringify(result)).not.toContain(key);
      const stored = await registry.getKey(String(keyId));
      expect(stored).toMatchObject({
        tenantId: OPERATOR_TENANT_ID,
        scopes: ['admin'],
        hash: createHash('sha256').update(key).digest('hex'),
      });
    } finally {
      await secrets.stop();
    }
  });

  function assetDir(name: string): string {
    const directory = assets.get(name);
    if (directory === undefined) throw new Error(`no ${name} asset`);
    return directory;
  }

  function functionEnv(extra: Record<string, string>): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_REGION: LOCAL_S3.region,
      AWS_ACCESS_KEY_ID: LOCAL_S3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3.credentials.secretAccessKey,
      POWERTOOLS_SERVICE_NAME: 'asset-test',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      // What Lambda sets, so that Powertools (tracer included) takes its Lambda code paths.
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: 'asset-test',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      _X_AMZN_TRACE_ID: 'Root=1-67890abc-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1',
      [ENV.STAGE]: 'test',
      [ENV.TABLE_NAME]: dynamo.tableName,
      [ENV.ARTIFACT_BUCKET]: s3.bucket,
      [ENV.DYNAMODB_ENDPOINT]: dynamo.endpoint,
      [ENV.S3_ENDPOINT]: s3.endpoint,
      [ENV.KEY_CACHE_TTL_SECONDS]: '60',
      [ENV.ORT_NUM_THREADS]: '1',
      ...extra,
    };
  }

  /** Runs one event through an asset's `handler` in a new Node process, from the asset's directory. */
  async function invoke(
    name: string,
    event: unknown,
    env: Record<string, string>,
  ): Promise<{ result: unknown; stdout: string }> {
    const directory = assetDir(name);
    const eventFile = path.join(work, `${name}-event.json`);
    const resultFile = path.join(work, `${name}-result.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    rmSync(resultFile, { force: true });
    const { stdout } = await run(
      process.execPath,
      [path.join(work, 'runner.mjs'), directory, eventFile, resultFile],
      {
        cwd: directory,
        env,
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return { result: JSON.parse(readFileSync(resultFile, 'utf8')), stdout };
  }
});

/** Imports an asset's index.mjs, calls `handler(event, context)` and writes the result as JSON. */
const RUNNER = `
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
const [assetDir, eventFile, resultFile] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(join(assetDir, 'index.mjs')).href);
const event = JSON.parse(await readFile(eventFile, 'utf8'));
const context = {
  awsRequestId: 'lambda-request-id',
  functionName: 'asset-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:asset-test',
  memoryLimitInMB: '2048',
  logGroupName: '/aws/lambda/asset-test',
  logStreamName: 'asset-test',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 28000,
};
const result = await handler(event, context);
await writeFile(resultFile, JSON.stringify(result));
`;

function record(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Error('expected a JSON object');
  return value;
}

interface HttpEventOptions {
  readonly routeKey?: string;
  readonly pathParameters?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** An API Gateway HTTP API (payload 2.0) event, from the fixture. */
function httpEvent(method: string, rawPath: string, options: HttpEventOptions): Record<string, unknown> {
  const fixture: unknown = JSON.parse(
    readFileSync(path.join(__dirname, 'fixtures', 'http-api-event.json'), 'utf8'),
  );
  const routeKey = options.routeKey ?? '$default';
  return {
    ...record(fixture),
    routeKey,
    rawPath,
    headers: { ...record(at(fixture, 'headers')), ...options.headers },
    requestContext: {
      ...record(at(fixture, 'requestContext')),
      routeKey,
      http: { ...record(at(fixture, 'requestContext', 'http')), method, path: rawPath },
    },
    ...(options.pathParameters === undefined ? {} : { pathParameters: options.pathParameters }),
    ...(options.body === undefined ? {} : { body: options.body }),
  };
}

interface FakeSecretsManager {
  readonly endpoint: string;
  readonly calls: unknown[];
  stop(): Promise<void>;
}

/** Answers `PutSecretValue` (AWS JSON 1.1) and records each request body. */
async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const calls: unknown[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target !== 'secretsmanager.PutSecretValue') {
        response.statusCode = 400;
        response.end(
          JSON.stringify({ __type: 'InvalidRequestException', message: `unexpected ${String(target)}` }),
        );
        return;
      }
      calls.push(body);
      response.end(
        JSON.stringify({
          ARN: at(body, 'SecretId'),
          Name: 'AdminKeySecret',
          VersionId: randomBytes(8).toString('hex'),
          VersionStages: ['AWSCURRENT'],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the fake Secrets Manager is not on TCP');
  const { port } = address;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
