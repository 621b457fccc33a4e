/**
 * @jest-environment ./test/integration/runtime/native-realm-environment.js
 */
import { fixtureModel } from '../support/fixtures';
import { sendRaw, type RawResponse } from '../support/raw-http';
import { startTrustPlatform, type TrustPlatform, type TrustTenant } from './support/trust-platform';

/**
 * The GPU endpoint down (the local SageMaker refusing connections, under the functions'
 * real SDK client): requests for `sagemaker`-tier models answer 503 `endpoint_unavailable`
 * with `Retry-After`, quickly, never a 200 or a 500, without naming any infrastructure;
 * they are metered as errors; everything else keeps working; service comes back by itself
 * when the endpoint does.
 */
describe('the GPU endpoint down', () => {
  let trust: TrustPlatform;
  let tenant: TrustTenant;

  const BODY = JSON.stringify({
    inputs: [
      { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
      { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
    ],
  });

  async function infer(model: string): Promise<RawResponse & { ms: number }> {
    const started = performance.now();
    const response = await sendRaw(trust.url, {
      method: 'POST',
      path: `/v2/models/${model}/infer`,
      headers: [
        ['authorization', `Bearer ${tenant.key}`],
        ['content-type', 'application/json'],
      ],
      body: BODY,
    });
    return { ...response, ms: performance.now() - started };
  }

  function field(response: RawResponse, name: string): unknown {
    return typeof response.json === 'object' && response.json !== null
      ? Reflect.get(response.json, name)
      : undefined;
  }

  beforeAll(async () => {
    trust = await startTrustPlatform();
    tenant = await trust.tenant('gpu-outage');
    for (const [name, tier] of [
      ['add-mul-gpu', 'sagemaker'],
      ['add-mul-cpu', 'lambda'],
    ] as const) {
      const version = await trust.admin.registerModel(name, fixtureModel('add-mul.onnx'), {
        visibility: 'public',
        tier,
      });
      await trust.admin.setAlias(name, 'prod', version.version);
    }
    // Warm: the endpoint has loaded the model.
    expect((await infer('add-mul-gpu')).status).toBe(200);
  });

  afterAll(async () => {
    await trust.stop();
  });

  it('answers 503 endpoint_unavailable with Retry-After while it is down, meters errors, and recovers', async () => {
    const before = await tenant.client.usage();
    await trust.platform.sagemaker.down();
    let down: (RawResponse & { ms: number })[];
    let cpu: RawResponse;
    let metadata: RawResponse;
    try {
      down = [];
      for (let i = 0; i < 5; i++) down.push(await infer('add-mul-gpu'));
      cpu = await infer('add-mul-cpu');
      metadata = await sendRaw(trust.url, {
        method: 'GET',
        path: '/v2/models/add-mul-gpu',
        headers: [['authorization', `Bearer ${tenant.key}`]],
      });
    } finally {
      await trust.platform.sagemaker.up();
    }

    expect(
      down.map((r) => `${r.status} ${String(field(r, 'code'))} ${r.headers['retry-after'] ?? '-'}`),
    ).toEqual(down.map(() => '503 endpoint_unavailable 5'));
    // A refused connection fails at once; three attempts back off for well under a second.
    expect(Math.max(...down.map((r) => r.ms))).toBeLessThan(3_000);
    for (const response of down) {
      const message = String(field(response, 'error'));
      expect(message).toBe("The model's GPU endpoint is unavailable; retry later");
      expect(response.text).not.toMatch(/infergate-test|127\.0\.0\.1|tar\.gz|arn:/);
    }
    expect(cpu.status).toBe(200);
    expect(metadata.status).toBe(200);

    const after = await tenant.client.usage();
    expect(after.totals.errors - before.totals.errors).toBe(5);
    expect(after.totals.requests - before.totals.requests).toBe(1);

    // Back by itself: no restart of anything.
    expect((await infer('add-mul-gpu')).status).toBe(200);
  });

  it('never logged a key or a secret', () => {
    expect(trust.watch.output()).toMatch(/endpoint_unavailable/);
    expect(trust.watch.leaks()).toEqual([]);
  });
});
