import { fixtureModel } from '../support/fixtures';
import { sendRaw, type RawResponse } from '../support/raw-http';
import { startRestartableDynalite, type RestartableDynamo } from '../support/restartable-dynalite';
import { startTrustPlatform, type TrustPlatform, type TrustTenant } from './support/trust-platform';

/**
 * DynamoDB down or failing, under the functions' real SDK client (4 attempts, 2 s connect
 * and 10 s request timeouts, functions/shared/aws-clients.ts): authentication fails closed
 * with 503 `store_unavailable` (never a 200, and fast, because a refused connection fails
 * at once), and service comes back by itself when the store does, with no restart.
 * The key cache is off (TTL 0, as locally), so every request reads its key from the store.
 */
describe('the key store down or failing', () => {
  let dynamo: RestartableDynamo;
  let trust: TrustPlatform;
  let tenant: TrustTenant;

  const BODY = JSON.stringify({
    inputs: [
      { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
      { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
    ],
  });

  /** Requests that each need the store: a key lookup, then more. */
  const probes = (): { name: string; method: string; path: string; key: () => string }[] => [
    { name: 'metadata', method: 'GET', path: '/v2/models/add-mul', key: () => tenant.key },
    { name: 'ready', method: 'GET', path: '/v2/models/add-mul/ready', key: () => tenant.key },
    { name: 'infer', method: 'POST', path: '/v2/models/add-mul/infer', key: () => tenant.key },
    { name: 'models', method: 'GET', path: '/v1/models', key: () => tenant.key },
    { name: 'usage', method: 'GET', path: '/v1/usage', key: () => tenant.key },
    { name: 'admin', method: 'GET', path: '/admin/tenants', key: () => trust.adminKey },
  ];

  async function probe(method: string, path: string, key: string): Promise<RawResponse & { ms: number }> {
    const started = performance.now();
    const response = await sendRaw(trust.url, {
      method,
      path,
      headers: [
        ['authorization', `Bearer ${key}`],
        ['content-type', 'application/json'],
      ],
      body: method === 'POST' ? BODY : undefined,
    });
    return { ...response, ms: performance.now() - started };
  }

  async function probeAll() {
    const results = [];
    for (const p of probes()) results.push({ name: p.name, ...(await probe(p.method, p.path, p.key())) });
    return results;
  }

  function codeOf(response: RawResponse): unknown {
    return typeof response.json === 'object' && response.json !== null
      ? Reflect.get(response.json, 'code')
      : undefined;
  }

  /** Polls until every probe answers 2xx; returns how long that took. */
  async function untilServed(deadlineMs: number): Promise<number> {
    const started = performance.now();
    for (;;) {
      const results = await probeAll();
      if (results.every((r) => r.status < 300)) return performance.now() - started;
      if (performance.now() - started > deadlineMs) {
        throw new Error(
          `not served again after ${deadlineMs} ms: ${results.map((r) => `${r.name} ${r.status}`).join(', ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    dynamo = await startRestartableDynalite();
    trust = await startTrustPlatform({ dynamo });
    tenant = await trust.tenant('outage');
    const version = await trust.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await trust.admin.setAlias('add-mul', 'prod', version.version);
    // Warm: the model is loaded, every probe is served.
    expect((await probeAll()).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  afterAll(async () => {
    await trust.stop();
    await dynamo.close();
  });

  it('fails closed with 503 store_unavailable while the store is down, quickly, and never 200', async () => {
    const usageBefore = await tenant.client.usage();
    await dynamo.stop();

    const down = [...(await probeAll()), ...(await probeAll())];
    const live = await fetch(`${trust.url}/v2/health/live`);
    const malformed = await probe('GET', '/v2/models/add-mul', 'not-a-key');

    expect(down.map((r) => `${r.name} ${r.status} ${String(codeOf(r))}`)).toEqual(
      [...probes(), ...probes()].map((p) => `${p.name} 503 store_unavailable`),
    );
    expect(down.every((r) => r.headers['retry-after'] === '1')).toBe(true);
    // A refused connection fails at once; the SDK's 4 attempts back off for well under 2 s.
    expect(Math.max(...down.map((r) => r.ms))).toBeLessThan(3_000);
    expect(live.status).toBe(200);
    expect(malformed.status).toBe(401);

    await dynamo.start();
    const recoveryMs = await untilServed(15_000);
    const usageAfter = await tenant.client.usage();

    expect(recoveryMs).toBeLessThan(15_000);
    // One infer in the warm-up probe; the two during the outage were refused before metering.
    expect(usageAfter.totals.requests).toBe(usageBefore.totals.requests + 1);
    expect(usageAfter.totals.errors).toBe(usageBefore.totals.errors);
  });

  it.each([
    { status: 500, type: 'InternalServerError' },
    { status: 503, type: 'ServiceUnavailable' },
    { status: 400, type: 'ThrottlingException' },
  ])('answers 503 store_unavailable while the store answers $status $type, then recovers', async (fault) => {
    dynamo.failWith(fault);
    let failing: (RawResponse & { ms: number; name: string })[];
    try {
      failing = await probeAll();
    } finally {
      dynamo.failWith(undefined);
    }
    const recoveryMs = await untilServed(10_000);

    expect(failing.map((r) => `${r.name} ${r.status} ${String(codeOf(r))}`)).toEqual(
      probes().map((p) => `${p.name} 503 store_unavailable`),
    );
    expect(Math.max(...failing.map((r) => r.ms))).toBeLessThan(5_000);
    expect(recoveryMs).toBeLessThan(10_000);
  });

  it('never logged a key or a secret', () => {
    expect(trust.watch.output()).toMatch(/store_unavailable/);
    expect(trust.watch.leaks()).toEqual([]);
  });
});
