import { Architecture } from 'aws-cdk-lib/aws-lambda';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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
import { S3ArtifactStore, S3UsageSpill } from '../../functions/adapters/s3';
import { wasmTierRuntimes } from '../../functions/adapters/onnx/tier-runtimes';
import { ENV, MAX_ARTIFACT_BYTES, OPERATOR_TENANT_ID, SERVICE } from '../../functions/constants';
import { AdminService } from '../../functions/core/admin/admin-service';
import { PlanService } from '../../functions/core/admin/plan-service';
import { uploadKey } from '../../functions/core/artifacts';
import { ModelValidator } from '../../functions/core/validation';
import { pipelineSchema } from '../../functions/api/schemas';
import {
  functionAssets,
  INFERENCE_ASSET_LIMIT_BYTES,
  LAMBDA_UNZIPPED_LIMIT_BYTES,
} from '../../infra/function-assets';
import { ORT_RUNTIME_FILES } from '../../infra/bundling';
import { trainedDigitsOnnx } from '../support/digits-model';
import { FUNCTION_ARCHITECTURE } from '../../infra/lambda-defaults';
import { lambdaPlatforms, lockedPackages } from '../../infra/native-packages';
import { directorySize, listFiles, zipDirectory } from '../../infra/zip';
import { DEMO_MODEL, pretrainedFile } from '../../models/pretrained';
import { TEXT_DIRECTION_LABELS, textDirectionPipeline } from '../../models/pretrained-pipelines';
import { renderTextLine } from '../support/text-lines';
import { fixtureModel } from '../support/fixtures';
import { startDynalite, type LocalDynamo } from '../support/dynalite';
import { LOCAL_S3, startS3rver, type LocalS3 } from '../support/s3rver';
import { at, isRecord, synthApp } from './support/app';

const run = promisify(execFile);

/**
 * The deployable assets, proven outside the repository: the app is synthesized with the
 * real bundling, each function's asset is copied to an empty directory far from any
 * node_modules (the inference asset carries its own: sharp, for arm64 and x64), and a
 * separate Node process imports it and handles one event against the embedded DynamoDB
 * (dynalite) and S3 (s3rver).
 */
describe('function assets run outside the repository, with no node_modules but their own', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'infergate-assets-'));
  const assets = new Map<string, string>();
  let dynamo: LocalDynamo;
  let s3: LocalS3;
  let admin: AdminService;
  let artifacts: S3ArtifactStore;
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
    artifacts = new S3ArtifactStore({ bucket: s3.bucket, client: s3.client });
    admin = new AdminService({
      store: registry,
      artifacts,
      usage: new DynamoUsageStore({ tableName: dynamo.tableName, client: documentClient }),
      validator: new ModelValidator({ runtimes: wasmTierRuntimes(), maxModelBytes: MAX_ARTIFACT_BYTES }),
      uploadUrlTtlSeconds: 900,
    });
    adminKey = (await admin.createKey({ tenantId: OPERATOR_TENANT_ID, scopes: ['admin'] })).key;
    tenantId = (await admin.createTenant({ name: 'asset-test' })).tenantId;
    tenantKey = (await admin.createKey({ tenantId, scopes: ['infer', 'models:read'] })).key;

    // A real model: PaddleOCR's text-direction classifier, the demo (and dashboard showcase) model,
    // with its classification pipeline as `npm start` seeds it (the admin API parses it the same way).
    const uploadId = randomBytes(16).toString('hex');
    await artifacts.put(uploadKey(uploadId), readFileSync(pretrainedFile(DEMO_MODEL.file)));
    await admin.createModel({ name: DEMO_MODEL.name, visibility: 'public' });
    const version = await admin.createVersion(DEMO_MODEL.name, uploadId, 'lambda', {
      pipeline: pipelineSchema.parse(textDirectionPipeline()),
    });
    await admin.setAlias(DEMO_MODEL.name, 'prod', version.version);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([dynamo?.stop(), s3?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('copies each asset where no node_modules can be found but the inference asset’s own', () => {
    expect([...assets.keys()].sort()).toEqual(['admin', 'bootstrap', 'inference', 'usage-replay']);
    for (const [name, directory] of assets) {
      for (let dir = path.dirname(directory); dir !== path.dirname(dir); dir = path.dirname(dir)) {
        expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);
      }
      expect(existsSync(path.join(directory, 'node_modules'))).toBe(name === 'inference');
    }
  });

  it('ships sharp in the inference asset for arm64 (Lambda) and x64, as the lockfile pins it, within Lambda’s limits', () => {
    const inference = assetDir('inference');
    const locked = lockedPackages(['sharp'], lambdaPlatforms(FUNCTION_ARCHITECTURE));
    // Package roots: node_modules/<name>/package.json, scoped or nested.
    const shipped = listFiles(inference)
      .map((file) =>
        /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(file.split(path.sep).join('/')),
      )
      .flatMap((match) => (match === null ? [] : [match[1]]));
    expect(FUNCTION_ARCHITECTURE).toBe(Architecture.ARM_64);
    expect(locked.map((pkg) => pkg.name).sort()).toEqual([
      '@img/colour',
      '@img/sharp-libvips-linux-arm64',
      '@img/sharp-libvips-linux-x64',
      '@img/sharp-linux-arm64',
      '@img/sharp-linux-x64',
      'detect-libc',
      'semver',
      'sharp',
    ]);
    expect(shipped.sort()).toEqual(locked.map((pkg) => pkg.location).sort());
    for (const pkg of locked) {
      const manifest: unknown = JSON.parse(
        readFileSync(path.join(inference, pkg.location, 'package.json'), 'utf8'),
      );
      expect([at(manifest, 'name'), at(manifest, 'version')]).toEqual([pkg.name, pkg.version]);
    }
    const sharpVersion = locked.find((pkg) => pkg.name === 'sharp')?.version;
    const libvips = (cpu: string) =>
      path.join(inference, 'node_modules', '@img', `sharp-libvips-linux-${cpu}`, 'lib');
    const binding = (cpu: string) =>
      path.join(
        inference,
        'node_modules',
        '@img',
        `sharp-linux-${cpu}`,
        'lib',
        `sharp-linux-${cpu}-${sharpVersion}.node`,
      );
    const sharedLibrary = (cpu: string) =>
      path.join(
        libvips(cpu),
        listFiles(libvips(cpu)).find((file) => file.startsWith('libvips-cpp.so')) ?? 'none',
      );
    // ELF e_machine: 0xB7 is AArch64 (Graviton), 0x3E is x86-64.
    expect([elfMachine(binding('arm64')), elfMachine(sharedLibrary('arm64'))]).toEqual([0xb7, 0xb7]);
    expect([elfMachine(binding('x64')), elfMachine(sharedLibrary('x64'))]).toEqual([0x3e, 0x3e]);
    expect(directorySize(inference)).toBeLessThanOrEqual(LAMBDA_UNZIPPED_LIMIT_BYTES);
  });

  it('ships onnxruntime-web’s loader and WASM next to the inference bundle, within 25 MB zipped', () => {
    const inference = assetDir('inference');
    for (const file of ['index.mjs', ...ORT_RUNTIME_FILES])
      expect(existsSync(path.join(inference, file))).toBe(true);
    expect(zipDirectory(inference).length).toBeLessThanOrEqual(INFERENCE_ASSET_LIMIT_BYTES);
  });

  it('ships the same loader and WASM next to the admin bundle, which validates models, within 25 MB zipped', () => {
    const adminAsset = assetDir('admin');
    for (const file of ['index.mjs', ...ORT_RUNTIME_FILES])
      expect(existsSync(path.join(adminAsset, file))).toBe(true);
    expect(zipDirectory(adminAsset).length).toBeLessThanOrEqual(INFERENCE_ASSET_LIMIT_BYTES);
  });

  it('admin: validates an uploaded model on onnxruntime-web from its own bundle, and refuses a bad one', async () => {
    await admin.createModel({ name: 'asset-digits', visibility: 'public' });
    const register = async (bytes: Uint8Array) => {
      const uploadId = randomBytes(16).toString('hex');
      await artifacts.put(uploadKey(uploadId), bytes);
      const { result } = await invoke(
        'admin',
        httpEvent('POST', '/admin/models/asset-digits/versions', {
          routeKey: 'POST /admin/models/{name}/versions',
          pathParameters: { name: 'asset-digits' },
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ uploadId }),
        }),
        functionEnv({ [ENV.ORT_WASM_DIR]: assetDir('admin') }),
      );
      return { status: at(result, 'statusCode'), body: JSON.parse(String(at(result, 'body'))) as unknown };
    };

    const accepted = await register(await trainedDigitsOnnx());
    const refused = await register(readFileSync(fixtureModel(path.join('rejected', 'custom-operator.onnx'))));

    expect(accepted.status).toBe(201);
    expect(at(accepted.body, 'version')).toBe('1');
    expect(at(accepted.body, 'validation', 'runtime')).toMatch(/^onnxruntime-web 1\.\d+\.\d+ \(wasm\)$/);
    expect(at(accepted.body, 'validation', 'sample')).toEqual([{ name: 'pixels', shape: [1, 64] }]);
    expect(refused.status).toBe(400);
    expect(at(refused.body, 'code')).toBe('unsupported_operator');
    expect(await registry.listVersions('asset-digits')).toHaveLength(1);
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

  it('inference: registers its after-response extension in the init phase and asks for the next event only once the usage is written', async () => {
    // A tenant on a plan without limits: its usage row is written after the response.
    const free = { perThousandRequests: '0', perComputeSecond: '0' };
    await new PlanService({ store: registry }).create({
      planId: 'asset-no-limits',
      prices: { tiers: { lambda: free, sagemaker: free } },
    });
    const tenant = (await admin.createTenant({ name: 'asset-after', plan: 'asset-no-limits' })).tenantId;
    const key = (await admin.createKey({ tenantId: tenant, scopes: ['infer'] })).key;
    const usage = new DynamoUsageStore({
      tableName: dynamo.tableName,
      client: createDocumentClient({ client: dynamo.client }),
    });
    const requestsOf = async () =>
      (await usage.listTenantMonth(tenant, new Date().toISOString().slice(0, 7))).reduce(
        (sum, row) => sum + row.requests,
        0,
      );
    // Lambda's Extensions API: INVOKE for the runner's request on the first `next`; on the
    // second, the usage is read, then the API answers 500 so that the extension stops.
    const calls: { path: string; headers: Record<string, unknown>; body: string }[] = [];
    const requestsAtSecondNext: number[] = [];
    const api = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const call = {
          path: req.url ?? '',
          headers: { ...req.headers },
          body: Buffer.concat(chunks).toString(),
        };
        calls.push(call);
        const nexts = calls.filter((c) => c.path.endsWith('/event/next')).length;
        if (call.path.endsWith('/extension/register')) {
          res.writeHead(200, { 'lambda-extension-identifier': 'ext-id' }).end('{}');
        } else if (call.path.endsWith('/event/next') && nexts === 1) {
          res.writeHead(200).end(
            JSON.stringify({
              eventType: 'INVOKE',
              requestId: 'lambda-request-id',
              deadlineMs: Date.now() + 20_000,
            }),
          );
        } else if (call.path.endsWith('/event/next')) {
          void requestsOf().then((requests) => {
            requestsAtSecondNext.push(requests);
            res.writeHead(500).end('{"errorType":"stop"}');
          });
        } else {
          res.writeHead(202).end();
        }
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const event = httpEvent('POST', `/v2/models/${DEMO_MODEL.name}/infer`, {
        routeKey: 'POST /v2/models/{name}/infer',
        pathParameters: { name: DEMO_MODEL.name },
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({
          inputs: [
            { name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: new Array(3 * 48 * 192).fill(0) },
          ],
        }),
      });
      const env = {
        ...inferenceEnv(),
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${(api.address() as AddressInfo).port}`,
      };

      // The runner's request id is the INVOKE event's; the process ends once the extension stops.
      const { result } = await invoke('inference', event, env);

      expect(at(result, 'statusCode')).toBe(200);
      expect(calls.map((call) => call.path)).toEqual([
        '/2020-01-01/extension/register',
        '/2020-01-01/extension/event/next',
        '/2020-01-01/extension/event/next',
        '/2020-01-01/extension/exit/error',
      ]);
      expect(calls[0]?.headers['lambda-extension-name']).toBe('infergate-after-response');
      expect(JSON.parse(calls[0]?.body ?? '')).toEqual({ events: ['INVOKE'] });
      expect(calls[1]?.headers['lambda-extension-identifier']).toBe('ext-id');
      // The usage row was there, exactly once, before the extension let the invocation end.
      expect(requestsAtSecondNext).toEqual([1]);
      expect(await requestsOf()).toBe(1);
    } finally {
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
  });

  it('inference: decodes a PNG with the shipped sharp and answers predict with labels', async () => {
    // A text line drawn upside down, by sharp here; the asset decodes it with its own copy.
    const line = await renderTextLine('Hello World', { upsideDown: true });

    const { result } = await invoke('inference', predictEvent(line), inferenceEnv());

    expect(at(result, 'statusCode')).toBe(200);
    const response: unknown = JSON.parse(String(at(result, 'body')));
    expect(at(response, 'model_name')).toBe(DEMO_MODEL.name);
    const labels = at(response, 'labels');
    expect(Array.isArray(labels) ? labels.map((entry) => at(entry, 'label')) : labels).toEqual(
      [...TEXT_DIRECTION_LABELS].reverse(),
    );
    expect(Number(at(labels, 0, 'score'))).toBeGreaterThan(0.9);
  });

  it('inference: without its node_modules, predict answers 503 image_decoder_unavailable and infer still works', async () => {
    const withoutSharp = path.join(work, 'inference-without-sharp');
    cpSync(assetDir('inference'), withoutSharp, {
      recursive: true,
      filter: (source) => path.basename(source) !== 'node_modules',
    });
    const env = functionEnv({ [ENV.ORT_WASM_DIR]: withoutSharp });
    const line = await renderTextLine('Hello World');

    const predicted = await invokeAt(withoutSharp, predictEvent(line), env);
    const inferred = await invokeAt(withoutSharp, inferEvent(), env);

    expect(existsSync(path.join(withoutSharp, 'node_modules'))).toBe(false);
    expect(at(predicted.result, 'statusCode')).toBe(503);
    expect(JSON.parse(String(at(predicted.result, 'body')))).toEqual(
      expect.objectContaining({ code: 'image_decoder_unavailable' }),
    );
    expect(at(inferred.result, 'statusCode')).toBe(200);
    expect(at(JSON.parse(String(at(inferred.result, 'body'))), 'outputs', 0, 'shape')).toEqual([1, 2]);
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

  it('usage-replay: applies a spilled usage write once, deletes it, and publishes the replay metrics', async () => {
    const usage = new DynamoUsageStore({
      tableName: dynamo.tableName,
      client: createDocumentClient({ client: dynamo.client }),
    });
    const spill = new S3UsageSpill({ bucket: s3.bucket, client: s3.client });
    // A write the data plane could not apply: its writer is retired, the write spilled.
    const write = usage.open({
      tenantId: 'asset-replay',
      keyId: '0123456789abcdef',
      modelName: DEMO_MODEL.name,
      version: '1',
      plan: 'standard',
      at: new Date('2026-11-15T10:00:00Z'),
      error: false,
      computeMs: 5,
      inputBytes: 100,
      outputBytes: 20,
    });
    usage.close(write, false);
    await spill.put(write);
    const event: unknown = JSON.parse(
      readFileSync(path.join(__dirname, 'fixtures', 'scheduled-event.json'), 'utf8'),
    );

    const first = await invoke('usage-replay', event, functionEnv({}));
    const second = await invoke('usage-replay', event, functionEnv({}));

    expect(first.result).toEqual({ replayed: 1, failed: 0, left: 0, stoppedEarly: false });
    expect(second.result).toEqual({ replayed: 0, failed: 0, left: 0, stoppedEarly: false });
    expect(await usage.listTenantMonth('asset-replay', '2026-11')).toEqual([
      expect.objectContaining({ requests: 1, errors: 0, computeMs: 5, inputBytes: 100, outputBytes: 20 }),
    ]);
    const emf = first.stdout
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line): unknown => JSON.parse(line))
      .find((record) => at(record, 'UsageSpillBacklog') !== undefined);
    expect(at(emf, '_aws', 'CloudWatchMetrics', 0, 'Namespace')).toBe('Infergate');
    expect(at(emf, 'service')).toBe(SERVICE.usageReplay);
    expect([at(emf, 'UsageReplayed'), at(emf, 'UsageReplayFailed'), at(emf, 'UsageSpillBacklog')]).toEqual([
      1, 0, 0,
    ]);
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

  function inferenceEnv(): Record<string, string> {
    return functionEnv({ [ENV.ORT_WASM_DIR]: assetDir('inference') });
  }

  /** `POST /v1/models/text-direction/predict` with the image's bytes, as API Gateway delivers them. */
  function predictEvent(image: Buffer): Record<string, unknown> {
    return httpEvent('POST', `/v1/models/${DEMO_MODEL.name}/predict`, {
      routeKey: 'POST /v1/models/{name}/predict',
      pathParameters: { name: DEMO_MODEL.name },
      headers: { authorization: `Bearer ${tenantKey}`, 'content-type': 'image/png' },
      body: image.toString('base64'),
      isBase64Encoded: true,
    });
  }

  /** `POST /v2/models/text-direction/infer` with a blank line. */
  function inferEvent(): Record<string, unknown> {
    const body = {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192], data: new Array(3 * 48 * 192).fill(0) },
      ],
    };
    return httpEvent('POST', `/v2/models/${DEMO_MODEL.name}/infer`, {
      routeKey: 'POST /v2/models/{name}/infer',
      pathParameters: { name: DEMO_MODEL.name },
      headers: { authorization: `Bearer ${tenantKey}` },
      body: JSON.stringify(body),
    });
  }

  /** Runs one event through an asset's `handler` in a new Node process, from the asset's directory. */
  function invoke(
    name: string,
    event: unknown,
    env: Record<string, string>,
  ): Promise<{ result: unknown; stdout: string }> {
    return invokeAt(assetDir(name), event, env);
  }

  async function invokeAt(
    directory: string,
    event: unknown,
    env: Record<string, string>,
  ): Promise<{ result: unknown; stdout: string }> {
    const name = path.basename(directory);
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
  /** The body is base64 (API Gateway's form of binary bodies). @default false */
  readonly isBase64Encoded?: boolean;
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
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** The ELF `e_machine` of a shared object: which CPU it was built for. */
function elfMachine(file: string): number {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
  return header.readUInt16LE(18);
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
