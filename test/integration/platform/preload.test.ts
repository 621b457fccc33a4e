import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDocumentClient, DynamoRegistryStore } from '../../../functions/adapters/dynamodb';
import { WasmRuntime } from '../../../functions/adapters/onnx/wasm-runtime';
import { S3ArtifactStore } from '../../../functions/adapters/s3';
import { artifactKey } from '../../../functions/core/artifacts';
import { lambdaBackend } from '../../../functions/core/inference/lambda-backend';
import { modelSessions } from '../../../functions/core/inference/model-sessions';
import { type PreloadFailure, preloadModels } from '../../../functions/core/inference/preload';
import type { ModelVersion } from '../../../functions/core/registry/types';
import type { LoadedModel, ModelRuntime } from '../../../functions/core/runtime/model-runtime';
import { SessionCache } from '../../../functions/core/runtime/session-cache';
import { decodeInferRequest } from '../../../functions/core/tensors/oip-codec';
import { createInferenceApp } from '../../../functions/inference/app';
import { createInferenceDeps } from '../../../functions/inference/deps';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

const ADD_MUL_BODY = {
  inputs: [
    { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
    { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
  ],
};

/** The WASM runtime, counting the loads it is asked for; a load can be held at a gate. */
class CountingRuntime implements ModelRuntime {
  public loads = 0;
  public gate: Promise<void> | undefined;

  public constructor(private readonly runtime: ModelRuntime) {}

  public async load(bytes: Uint8Array): Promise<LoadedModel> {
    this.loads++;
    await this.gate;
    return this.runtime.load(bytes);
  }
}

/** A pass-through proxy in front of s3rver that counts the GETs of each artifact. */
async function startCountingS3Proxy(target: string): Promise<{
  readonly url: string;
  gets(sha256: string): number;
  close(): Promise<void>;
}> {
  const counts = new Map<string, number>();
  const server: Server = createServer((incoming, outgoing) => {
    const match = /\/artifacts\/sha256\/([0-9a-f]{64})\.onnx/.exec(incoming.url ?? '');
    if (incoming.method === 'GET' && match?.[1] !== undefined)
      counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
    const forward = request(
      `${target}${incoming.url ?? '/'}`,
      { method: incoming.method, headers: incoming.headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    gets: (sha256) => counts.get(sha256) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Preloading at cold start, against the real registry (dynalite), artifact store (s3rver)
 * and runtime (onnxruntime-web): `prod` versions of the Lambda tier are loaded and warmed
 * up, within a byte bound and a deadline, and nothing that fails stops the function.
 */
describe('preloading models at cold start', () => {
  let platform: TestPlatform;
  let wasm: WasmRuntime;
  let artifacts: S3ArtifactStore;
  const versions: Record<string, ModelVersion> = {};

  beforeAll(async () => {
    platform = await startTestPlatform();
    wasm = await WasmRuntime.create();
    artifacts = new S3ArtifactStore({ bucket: platform.s3.bucket, client: platform.s3.client });
    const register = async (name: string, file: string, publish: boolean) => {
      const version = await platform.admin.registerModel(name, fixtureModel(file), { visibility: 'public' });
      if (publish) await platform.admin.setAlias(name, 'prod', version.version);
      const stored = await platform.registry.getVersion(name, version.version);
      if (stored === undefined) throw new Error(`${name} was not registered`);
      versions[name] = stored;
    };
    await register('pre-a', 'add-mul.onnx', true);
    await register('pre-b', 'scalar.onnx', true);
    // Registered but not published: not preloaded.
    await register('pre-c', 'identity-all-types.onnx', false);
  });

  afterAll(async () => {
    await platform.stop();
  });

  function version(name: string): ModelVersion {
    const found = versions[name];
    if (found === undefined) throw new Error(`no version of ${name}`);
    return found;
  }

  function setUp(maxBytes = 1 << 20) {
    const runtime = new CountingRuntime(wasm);
    const cache = new SessionCache({ runtime, maxBytes });
    const sessions = modelSessions(cache, artifacts);
    const failures: PreloadFailure[] = [];
    return {
      runtime,
      cache,
      sessions,
      failures,
      onFailure: (failure: PreloadFailure) => failures.push(failure),
    };
  }

  it('loads the prod versions of its tier, and their first request loads nothing', async () => {
    const { runtime, cache, sessions, failures, onFailure } = setUp();

    const report = await preloadModels({
      store: platform.registry,
      sessions,
      tier: 'lambda',
      maxBytes: 1 << 20,
      timeoutMs: 30_000,
      onFailure,
    });

    expect(report).toMatchObject({
      loaded: ['pre-a:1', 'pre-b:1'],
      skipped: [],
      failed: [],
      pending: [],
      timedOut: false,
    });
    expect(failures).toEqual([]);
    expect(runtime.loads).toBe(2);
    expect(cache.has(version('pre-a').artifact.sha256)).toBe(true);
    expect(cache.has(version('pre-c').artifact.sha256)).toBe(false);

    const addMul = version('pre-a');
    const run = await lambdaBackend(sessions).run(
      addMul,
      decodeInferRequest(ADD_MUL_BODY, addMul.inputs, addMul.outputs),
    );

    expect(Array.from(run.outputs.sum?.data ?? [], Number)).toEqual([5, 7, 9]);
    expect(runtime.loads).toBe(2);
  });

  it('loads nothing of another tier, and nothing with a bound of 0', async () => {
    const { runtime, sessions } = setUp();

    const otherTier = await preloadModels({
      store: platform.registry,
      sessions,
      tier: 'sagemaker',
      maxBytes: 1 << 20,
      timeoutMs: 30_000,
    });
    const off = await preloadModels({
      store: platform.registry,
      sessions,
      tier: 'lambda',
      maxBytes: 0,
      timeoutMs: 30_000,
    });

    expect(otherTier).toMatchObject({ loaded: [], skipped: [], failed: [] });
    expect(off).toMatchObject({ loaded: [], skipped: [], failed: [], timedOut: false });
    expect(runtime.loads).toBe(0);
  });

  it('skips versions over the byte bound', async () => {
    const { runtime, sessions } = setUp();

    const report = await preloadModels({
      store: platform.registry,
      sessions,
      tier: 'lambda',
      maxBytes: version('pre-a').artifact.size,
      timeoutMs: 30_000,
    });

    expect(report).toMatchObject({ loaded: ['pre-a:1'], skipped: ['pre-b:1'], failed: [] });
    expect(runtime.loads).toBe(1);
  });

  it('returns at the deadline, and a request joins the load still running', async () => {
    const { runtime, cache, sessions } = setUp();
    let open: () => void = () => undefined;
    runtime.gate = new Promise((resolve) => (open = resolve));

    const report = await preloadModels({
      store: platform.registry,
      sessions,
      tier: 'lambda',
      maxBytes: 1 << 20,
      timeoutMs: 300,
    });

    expect(report).toMatchObject({ loaded: [], skipped: ['pre-b:1'], pending: ['pre-a:1'], timedOut: true });
    expect(runtime.loads).toBe(1);
    const addMul = version('pre-a');
    const served = lambdaBackend(sessions).run(
      addMul,
      decodeInferRequest(ADD_MUL_BODY, addMul.inputs, addMul.outputs),
    );
    open();
    const run = await served;

    expect(Array.from(run.outputs.sum?.data ?? [], Number)).toEqual([5, 7, 9]);
    expect(runtime.loads).toBe(1);
    expect(cache.has(version('pre-b').artifact.sha256)).toBe(false);
  });

  it('reports a registry that cannot be read, without throwing', async () => {
    const { runtime, sessions, failures, onFailure } = setUp();
    const missingTable = new DynamoRegistryStore({
      tableName: 'no-such-table',
      client: createDocumentClient({ client: platform.dynamo.client }),
    });

    const report = await preloadModels({
      store: missingTable,
      sessions,
      tier: 'lambda',
      maxBytes: 1 << 20,
      timeoutMs: 30_000,
      onFailure,
    });

    expect(report).toMatchObject({ loaded: [], failed: [], timedOut: false });
    expect(failures.map((failure) => failure.stage)).toEqual(['list']);
    expect(runtime.loads).toBe(0);
  });

  describe('in the inference function', () => {
    let proxy: Awaited<ReturnType<typeof startCountingS3Proxy>>;
    let tenantKey: string;

    beforeAll(async () => {
      proxy = await startCountingS3Proxy(platform.s3.endpoint);
      const { tenantId } = await platform.admin.createTenant({ name: 'preload', plan: 'enterprise' });
      tenantKey = (await platform.admin.createKey({ tenantId })).key;
      // A published version whose artifact is gone: its load fails at every cold start.
      const broken = await platform.admin.registerModel(
        'pre-broken',
        fixtureModel('identity-all-types.onnx'),
        {
          visibility: 'public',
        },
      );
      await platform.admin.setAlias('pre-broken', 'prod', broken.version);
      const stored = await platform.registry.getVersion('pre-broken', broken.version);
      if (stored === undefined) throw new Error('pre-broken was not registered');
      versions['pre-broken'] = stored;
      await platform.s3.client.send(
        new DeleteObjectCommand({ Bucket: platform.s3.bucket, Key: artifactKey(stored.artifact.sha256) }),
      );
    });

    afterAll(async () => {
      await proxy.close();
    });

    it('starts despite a model that fails to load, and the first request of a preloaded model downloads nothing', async () => {
      const deps = await createInferenceDeps({ ...platform.config, s3Endpoint: proxy.url });
      const app = createInferenceApp(deps);
      const sha256 = version('pre-a').artifact.sha256;

      expect(proxy.gets(sha256)).toBe(1);
      expect(proxy.gets(version('pre-broken').artifact.sha256)).toBeGreaterThanOrEqual(1);

      const headers = { authorization: `Bearer ${tenantKey}`, 'content-type': 'application/json' };
      const served = await app.request('/v2/models/pre-a/infer', {
        method: 'POST',
        headers,
        body: JSON.stringify(ADD_MUL_BODY),
      });
      const broken = await app.request('/v2/models/pre-broken/ready', { headers });

      expect(served.status).toBe(200);
      expect(await served.json()).toMatchObject({
        outputs: expect.arrayContaining([expect.objectContaining({ name: 'sum', data: [5, 7, 9] })]),
      });
      expect(proxy.gets(sha256)).toBe(1);
      expect(broken.status).toBe(503);
      expect(await broken.json()).toMatchObject({ code: 'artifact_missing' });
    });
  });
});
