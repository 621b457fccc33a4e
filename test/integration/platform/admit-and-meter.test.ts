import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { readFile } from 'node:fs/promises';
import { createDocumentClient } from '../../../functions/adapters/dynamodb';
import { DynamoLimitStore } from '../../../functions/adapters/dynamodb/limit-store';
import { dayItemKey } from '../../../functions/adapters/dynamodb/month-item';
import { SharpImageDecoder } from '../../../functions/adapters/images/sharp-image-decoder';
import { WasmRuntime } from '../../../functions/adapters/onnx/wasm-runtime';
import type { Principal } from '../../../functions/core/auth/principal';
import type { InferenceBackend } from '../../../functions/core/inference/backend';
import { InferenceService } from '../../../functions/core/inference/inference-service';
import { lambdaBackend } from '../../../functions/core/inference/lambda-backend';
import { modelSessions } from '../../../functions/core/inference/model-sessions';
import { Limiter } from '../../../functions/core/limits/limiter';
import { TenantPlans } from '../../../functions/core/limits/tenant-plans';
import { DurableUsageRecorder } from '../../../functions/core/metering/durable-usage-recorder';
import type { UsageEvent } from '../../../functions/core/metering/types';
import { UsageReplayer } from '../../../functions/core/metering/usage-replayer';
import { PredictionService } from '../../../functions/core/pipelines/prediction-service';
import { ModelResolver } from '../../../functions/core/registry/model-resolver';
import { SessionCache } from '../../../functions/core/runtime/session-cache';
import { createStores } from '../../../functions/shared/stores';
import { DEMO_MODEL, pretrainedFile } from '../../../models/pretrained';
import { textDirectionPipeline } from '../../../models/pretrained-pipelines';
import { LOCAL_AWS } from '../../support/dynalite';
import {
  startDynamoFaultProxy,
  type DynamoFaultProxy,
  type ProxyFault,
} from '../../support/dynamo-fault-proxy';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';
import { renderTextLine } from '../../support/text-lines';

/**
 * The order of `InferenceService.serve` for a plan with limits, on the real stores (dynalite,
 * s3rver) and the real model (onnxruntime-web): the limiter's remembered state refuses before
 * the model runs; otherwise the model runs, then one conditional write admits the request and
 * meters it. A refused write discards the result and bills nothing; failures are never
 * admitted; a write whose outcome stays unknown is served, spilled and replayed exactly once.
 * The limiter's client goes through a fault proxy that also counts what the table receives.
 */

const FREE = { perThousandRequests: '0', perComputeSecond: '0' };
const BODY = {
  inputs: [
    { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
    { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
  ],
};
const BAD = { inputs: [{ name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] };
const INTERNAL = { status: 500, type: 'InternalServerError' };

describe('admit-and-meter: one write after the model ran', () => {
  let platform: TestPlatform;
  let proxy: DynamoFaultProxy;
  let stores: ReturnType<typeof createStores>;
  let backend: InferenceBackend;
  let runs = 0;
  let plans = 0;

  beforeAll(async () => {
    platform = await startTestPlatform();
    proxy = await startDynamoFaultProxy(platform.dynamo.endpoint);
    const version = await platform.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await platform.admin.setAlias('add-mul', 'prod', version.version);
    // A classifier, and the same classifier with an orientation step that runs the first.
    const classifier = await readFile(pretrainedFile(DEMO_MODEL.file));
    const direction = await platform.admin.registerModel('direction', classifier, {
      visibility: 'public',
      pipeline: textDirectionPipeline(),
    });
    await platform.admin.setAlias('direction', 'prod', direction.version);
    const oriented = await platform.admin.registerModel('direction-oriented', classifier, {
      visibility: 'public',
      pipeline: { ...textDirectionPipeline(), orientation: { model: 'direction', upsideDownLabel: '180' } },
    });
    await platform.admin.setAlias('direction-oriented', 'prod', oriented.version);
    stores = createStores(platform.config, new Tracer({ serviceName: 'admit-test', enabled: false }));
    const cache = new SessionCache({ runtime: await WasmRuntime.create(), maxBytes: 64 * 1024 * 1024 });
    const real = lambdaBackend(modelSessions(cache, stores.artifacts));
    // The real backend, with the model runs counted.
    backend = {
      prepare: (modelVersion) => real.prepare(modelVersion),
      run: (modelVersion, request) => {
        runs += 1;
        return real.run(modelVersion, request);
      },
    };
  });

  afterEach(() => proxy.setFaults(undefined));

  afterAll(async () => {
    await proxy?.close();
    await platform?.stop();
  });

  /** An inference function's service, its limiter's client through the proxy. */
  function dataPlane() {
    const lost: UsageEvent[] = [];
    const usage = new DurableUsageRecorder({ store: stores.usage, spill: stores.usageSpill });
    const limiter = new Limiter({
      store: new DynamoLimitStore({
        tableName: platform.config.tableName,
        client: createDocumentClient({
          client: new DynamoDBClient({ ...LOCAL_AWS, endpoint: proxy.url, maxAttempts: 1 }),
        }),
        retryDelaysMs: [5, 5, 5],
      }),
    });
    const service = new InferenceService({
      resolver: new ModelResolver({ store: stores.registry, cacheTtlMs: 0 }),
      plans: new TenantPlans({ store: stores.registry, cacheTtlMs: 0 }),
      limiter,
      backends: { lambda: backend },
      usage,
      unconfirmed: usage,
      onUsageLost: (event) => lost.push(event),
    });
    const resolver = new ModelResolver({ store: stores.registry, cacheTtlMs: 0 });
    const predictions = new PredictionService({
      resolver,
      serving: service,
      images: new SharpImageDecoder(),
    });
    return { service, predictions, lost };
  }

  async function tenantOn(limits: { monthlyQuota?: number }): Promise<Principal> {
    const planId = `admit-${(plans += 1)}`;
    await platform.admin.createPlan({
      planId,
      prices: { tiers: { lambda: FREE, sagemaker: FREE } },
      ...limits,
    });
    const { tenantId } = await platform.admin.createTenant({ name: planId, plan: planId });
    return { tenantId, keyId: '0123456789abcdef', scopes: ['infer'] };
  }

  const infer = (service: InferenceService, principal: Principal, body: unknown = BODY) =>
    service.infer(principal, 'add-mul', undefined, body, 100);

  async function errorOf(promise: Promise<unknown>): Promise<{ status?: number; code?: string }> {
    try {
      await promise;
    } catch (error) {
      return error as { status?: number; code?: string };
    }
    throw new Error('expected an error');
  }

  const month = () => new Date().toISOString().slice(0, 7);
  const day = () => new Date().toISOString().slice(8, 10);
  const documentClient = () => createDocumentClient({ client: platform.dynamo.client });
  const monthItem = async (tenantId: string) =>
    (
      await documentClient().send(
        new GetCommand({
          TableName: platform.config.tableName,
          Key: dayItemKey(tenantId, month(), day()),
          ConsistentRead: true,
        }),
      )
    ).Item;
  const partition = async (tenantId: string) =>
    (
      await documentClient().send(
        new QueryCommand({
          TableName: platform.config.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `USAGE#${tenantId}#${month()}` },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  const totals = async (tenantId: string) => {
    const rows = await stores.usage.listTenantMonth(tenantId, month());
    return rows.reduce(
      (sum, row) => ({ requests: sum.requests + row.requests, errors: sum.errors + row.errors }),
      { requests: 0, errors: 0 },
    );
  };
  const updates = () => proxy.requests.filter((request) => request.operation === 'UpdateItem').length;

  it("makes one write per request once the tenant's day is rolled, on the day item, and answers with the standing it returned", async () => {
    const { service } = dataPlane();
    const principal = await tenantOn({ monthlyQuota: 10 });
    await infer(service, principal);
    const before = updates();

    const results = [await infer(service, principal), await infer(service, principal)];

    expect(results.map((result) => result.headers['x-quota-remaining'])).toEqual(['8', '7']);
    expect(updates() - before).toBe(2);
    // No usage row: the counters are in the day item.
    expect((await partition(principal.tenantId)).map((item) => item.sk)).toEqual([`LIMIT#${day()}`]);
    expect(await totals(principal.tenantId)).toEqual({ requests: 3, errors: 0 });
  });

  it('runs the model, then discards the result of a request its write refuses, billing nothing; then refuses before running', async () => {
    const { service } = dataPlane();
    const principal = await tenantOn({ monthlyQuota: 1 });
    // Another instance takes the only unit: this one does not know it.
    await infer(dataPlane().service, principal);
    const runsBefore = runs;
    const updatesBefore = updates();

    const refused = await errorOf(infer(service, principal));

    expect(refused).toMatchObject({ status: 429, code: 'quota_exceeded' });
    expect(runs - runsBefore).toBe(1);
    expect(updates() - updatesBefore).toBe(1);
    expect(await totals(principal.tenantId)).toEqual({ requests: 1, errors: 0 });

    // Now it remembers `used` at the quota: refused with no model run and no write.
    const again = await errorOf(infer(service, principal));
    expect(again).toMatchObject({ status: 429, code: 'quota_exceeded' });
    expect(runs - runsBefore).toBe(1);
    expect(updates() - updatesBefore).toBe(1);
    expect((await monthItem(principal.tenantId))?.used).toBe(1);
  });

  it('never admits a failed request: it is metered as an error and the quota stays whole', async () => {
    const { service } = dataPlane();
    const principal = await tenantOn({ monthlyQuota: 1 });
    const updatesBefore = updates();

    expect(await errorOf(infer(service, principal, BAD))).toMatchObject({
      status: 400,
      code: 'missing_input',
    });

    expect(updates() - updatesBefore).toBe(0);
    expect(await monthItem(principal.tenantId)).toBeUndefined();
    expect(await totals(principal.tenantId)).toEqual({ requests: 0, errors: 1 });
    expect((await infer(service, principal)).headers['x-quota-remaining']).toBe('0');
  });

  it('answers 503 limits_unavailable when the write was provably not applied, and bills nothing', async () => {
    const { service } = dataPlane();
    const principal = await tenantOn({ monthlyQuota: 10 });
    proxy.setFaults((operation): ProxyFault =>
      operation === 'UpdateItem' ? { status: 400, type: 'ThrottlingException' } : 'pass',
    );

    expect(await errorOf(infer(service, principal))).toMatchObject({
      status: 503,
      code: 'limits_unavailable',
    });

    proxy.setFaults(undefined);
    expect(await monthItem(principal.tenantId)).toBeUndefined();
    expect(await totals(principal.tenantId)).toEqual({ requests: 0, errors: 0 });
  });

  it.each([
    ['applied, its answers lost', 'drop-answer' as ProxyFault, 1],
    ['never applied, answered 500', INTERNAL as ProxyFault, 0],
  ])(
    'serves a request whose write stays unknown (%s), spills it, and the replay counts it exactly once',
    async (_case, fault, appliedLive) => {
      const { service, lost } = dataPlane();
      const principal = await tenantOn({ monthlyQuota: 10 });
      // The day's item exists (a first request rolled the day): the write at hand can be applied.
      await infer(service, principal);
      proxy.setFaults((operation) => (operation === 'UpdateItem' ? fault : 'pass'));

      const result = await infer(service, principal);

      proxy.setFaults(undefined);
      expect(JSON.parse(result.body)).toMatchObject({ model_name: 'add-mul' });
      expect(result.headers).toEqual({});
      expect(lost).toEqual([]);
      expect((await monthItem(principal.tenantId))?.used).toBe(1 + appliedLive);
      const spilled: string[] = [];
      for await (const id of stores.usageSpill.list()) spilled.push(id);
      const ours = [];
      for (const id of spilled) {
        const write = await stores.usageSpill.get(id);
        if (write?.event.tenantId === principal.tenantId) ours.push(write);
      }
      expect(ours).toMatchObject([
        { target: 'month', steps: [], day: `${month()}-${day()}`, event: { tenantId: principal.tenantId } },
      ]);

      // Two replayers, one after the other: the second finds nothing; the first counts it once.
      const replayer = new UsageReplayer({ store: stores.usage, spill: stores.usageSpill });
      await replayer.replay();
      await replayer.replay();
      expect((await monthItem(principal.tenantId))?.used).toBe(2);
      expect(await totals(principal.tenantId)).toEqual({ requests: 2, errors: 0 });
    },
  );

  it('meters a pipeline step in the same write as its request: one write for a predict with an orientation step', async () => {
    const { predictions, service } = dataPlane();
    const principal = await tenantOn({ monthlyQuota: 10 });
    const line = await renderTextLine('Hello World');
    await infer(service, principal);
    const updatesBefore = updates();

    const result = await predictions.predict(principal, 'direction-oriented', undefined, {
      bytes: line,
      requestBytes: line.length,
    });

    expect(result.headers['x-quota-remaining']).toBe('8');
    expect(updates() - updatesBefore).toBe(1);
    expect((await partition(principal.tenantId)).map((item) => item.sk)).toEqual([`LIMIT#${day()}`]);
    const rows = await stores.usage.listTenantMonth(principal.tenantId, month());
    expect(
      rows
        .filter((row) => row.modelName !== 'add-mul')
        .map((row) => [row.modelName, row.requests, row.inputBytes])
        .sort(),
    ).toEqual([
      ['direction', 1, line.length],
      ['direction-oriented', 1, line.length],
    ]);
    expect((await monthItem(principal.tenantId))?.used).toBe(2);
  });
});
