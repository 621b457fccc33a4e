import { AfterResponse } from '../../../functions/core/after-response';
import { UsageReplayer } from '../../../functions/core/metering/usage-replayer';
import { createInferenceApp } from '../../../functions/inference/app';
import { createInferenceDeps } from '../../../functions/inference/deps';
import { toLambdaHandler } from '../../../functions/http/lambda-adapter';
import { ROUTES } from '../../../functions/routes';
import { createStores } from '../../../functions/shared/stores';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { startApiGatewayServer } from '../../../local/apigw-server';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

/**
 * Usage written after the response, over HTTP through the local API Gateway emulator, which
 * drains the inference function's deferred writes after each response (as the Lambda
 * extension does) and before it closes: every request is answered, and once drained the
 * tenant's usage is exact.
 */

const FREE = { perThousandRequests: '0', perComputeSecond: '0' };
const GOOD = JSON.stringify({
  inputs: [
    { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
    { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
  ],
});

describe('usage metered after the response, over HTTP', () => {
  let platform: TestPlatform;
  let proxy: DynamoFaultProxy;
  let tenants = 0;

  beforeAll(async () => {
    platform = await startTestPlatform({ meterAfterResponse: true });
    const version = await platform.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await platform.admin.setAlias('add-mul', 'prod', version.version);
    // A plan without limits: the usage row is the request's only write.
    await platform.admin.createPlan({
      planId: 'no-limits',
      prices: { tiers: { lambda: FREE, sagemaker: FREE } },
    });
    proxy = await startDynamoFaultProxy(platform.dynamo.endpoint);
  });

  afterEach(() => proxy.setFaults(undefined));

  afterAll(async () => {
    await proxy?.close();
    await platform?.stop();
  });

  async function tenantKey(): Promise<string> {
    const { tenantId } = await platform.admin.createTenant({
      name: `after-${(tenants += 1)}`,
      plan: 'no-limits',
    });
    return (await platform.admin.createKey({ tenantId })).key;
  }

  function infer(url: string, key: string): Promise<Response> {
    return fetch(`${url}/v2/models/add-mul/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: GOOD,
    });
  }

  it('answers every request, and once drained the usage is exact', async () => {
    const key = await tenantKey();

    const sequential = [];
    for (let i = 0; i < 5; i++) sequential.push((await infer(platform.url, key)).status);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => infer(platform.url, key)));
    await platform.afterResponse?.drain(30_000);

    expect(platform.afterResponse?.enabled).toBe(true);
    expect(sequential).toEqual([200, 200, 200, 200, 200]);
    expect(concurrent.map((response) => response.status)).toEqual(new Array(20).fill(200));
    expect((await platform.client(key).usage()).totals).toMatchObject({ requests: 25, errors: 0 });
  });

  it('answers while the usage write still waits on the table, and the server drains it before it closes', async () => {
    // Another instance of the inference function whose table answers nothing: its usage
    // write waits out the retry budget, then goes to the spill.
    const afterResponse = new AfterResponse();
    afterResponse.enable();
    const deps = await createInferenceDeps(
      { ...platform.config, dynamodbEndpoint: proxy.url, meterAfterResponse: true },
      { afterResponse },
    );
    const inference = toLambdaHandler(createInferenceApp(deps));
    const server = await startApiGatewayServer({
      port: 0,
      routes: ROUTES,
      handlers: { inference, admin: inference },
      defaultFunction: 'inference',
      functions: {
        inference: { afterInvocation: (context) => afterResponse.drain(context.getRemainingTimeInMillis()) },
      },
    });
    const key = await tenantKey();
    // Reads go through; from the second request on, only the usage write stalls.
    expect((await infer(server.url, key)).status).toBe(200);
    await afterResponse.drain(30_000);
    proxy.setFaults((operation) => (operation === 'UpdateItem' ? 'stall-answer' : 'pass'));

    const response = await infer(server.url, key);
    const pendingAtResponse = afterResponse.pending;
    await server.close();
    const pendingAfterClose = afterResponse.pending;
    proxy.setFaults(undefined);
    const stores = createStores(
      platform.config,
      new Tracer({ serviceName: 'after-response-test', enabled: false }),
    );
    await new UsageReplayer({ store: stores.usage, spill: stores.usageSpill }).replay();

    expect(response.status).toBe(200);
    expect(pendingAtResponse).toBe(1);
    expect(pendingAfterClose).toBe(0);
    // The stalled write was applied by the table and spilled; the replay counts it once.
    expect((await platform.client(key).usage()).totals).toMatchObject({ requests: 2, errors: 0 });
  });
});
