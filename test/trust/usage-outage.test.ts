import { createUsageReplayDeps } from '../../functions/usage-replay/deps';
import { createUsageReplayHandler } from '../../functions/usage-replay/replay';
import { fixtureModel } from '../support/fixtures';
import { startRestartableDynalite, type RestartableDynamo } from '../support/restartable-dynalite';
import { startTrustPlatform, type TrustPlatform, type TrustTenant } from './support/trust-platform';

/**
 * The table unable to take usage writes while tenants call a model whose key, model and
 * alias are cached (TTL 300 s, as a warm Lambda keeps them for 60 s): every infer request is
 * still answered 200, its usage goes to the spill in s3rver, and once the table is back one
 * replay (the replay function's own wiring) brings the tenant's usage to exactly the number
 * of 2xx answers the client saw: nothing lost, nothing counted twice.
 */
describe('metering through a usage-write outage', () => {
  let dynamo: RestartableDynamo;
  let trust: TrustPlatform;
  let tenant: TrustTenant;

  const FREE = { perThousandRequests: '0', perComputeSecond: '0' };
  const PRICES = { tiers: { lambda: FREE, sagemaker: FREE } };
  const BODY = JSON.stringify({
    inputs: [
      { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
      { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
    ],
  });

  async function infer(): Promise<{ status: number; ms: number }> {
    const started = performance.now();
    const response = await fetch(`${trust.url}/v2/models/add-mul/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' },
      body: BODY,
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  }

  beforeAll(async () => {
    dynamo = await startRestartableDynalite();
    trust = await startTrustPlatform({ dynamo, overrides: { keyCacheTtlSeconds: 300 } });
    // A plan without quota or rate limit: the limiter needs the table (it fails closed, 503
    // `limits_unavailable`), so only such a plan is served through a table outage.
    await trust.admin.createPlan({ planId: 'unlimited', prices: PRICES });
    tenant = await trust.tenant('metered', undefined, 'unlimited');
    const version = await trust.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await trust.admin.setAlias('add-mul', 'prod', version.version);
  });

  afterAll(async () => {
    await trust?.stop();
    await dynamo?.close();
  });

  it('serves every request while usage writes fail, and the replay brings usage to exactly the 2xx seen', async () => {
    const replay = createUsageReplayHandler(createUsageReplayDeps(trust.platform.config));
    const answers: { phase: string; status: number; ms: number }[] = [];
    const run = async (phase: string, n: number) => {
      for (let i = 0; i < n; i++) answers.push({ phase, ...(await infer()) });
    };

    // Warm: key, model, alias and session cached, usage written.
    await run('warm', 3);
    // The table is down: connections refused.
    await dynamo.stop();
    await run('down', 12);
    await dynamo.start();
    // The table answers 500 to everything, then accepts connections and never answers.
    dynamo.failWith({ status: 500, type: 'InternalServerError' });
    await run('500', 5);
    dynamo.failWith('hang');
    await run('hang', 3);
    dynamo.failWith(undefined);

    const spilledUsage = await tenant.client.usage();
    const report = await replay();
    const usage = await tenant.client.usage();
    const again = await replay();

    const ok = answers.filter((answer) => answer.status === 200).length;
    expect(answers.map((answer) => `${answer.phase} ${answer.status}`)).toEqual(
      answers.map((answer) => `${answer.phase} 200`),
    );
    // While writes fail, the first request waits out the 2 s retry budget, later ones try once (1 s timeout at most).
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(6_000);
    expect(spilledUsage.totals.requests).toBe(3);
    expect(report).toEqual({ replayed: 20, failed: 0, left: 0, stoppedEarly: false });
    expect(usage.totals).toMatchObject({ requests: ok, errors: 0 });
    expect(again).toEqual({ replayed: 0, failed: 0, left: 0, stoppedEarly: false });
    expect(trust.watch.output()).toMatch(/Usage write spilled/);
    expect(trust.watch.output()).not.toMatch(/Usage record lost/);
    expect(trust.watch.leaks()).toEqual([]);
  });
});
