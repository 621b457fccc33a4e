import type { CreatePlanRequest } from '../../../functions/api/schemas';
import { generateApiKey } from '../../../functions/core/keys/api-key';
import { createInferenceApp } from '../../../functions/inference/app';
import { createInferenceDeps } from '../../../functions/inference/deps';
import { toLambdaHandler } from '../../../functions/http/lambda-adapter';
import { ROUTES } from '../../../functions/routes';
import { startApiGatewayServer } from '../../../local/apigw-server';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

/**
 * Plans enforced by the data plane, over HTTP through the real handlers, dynalite and
 * onnxruntime-web: entitlements (403/413), the monthly quota and the rate limit (429),
 * exact under concurrency, also across two function instances sharing the table.
 */

const FREE = { perThousandRequests: '0', perComputeSecond: '0' };
const PRICES = { tiers: { lambda: FREE, sagemaker: FREE } };
const GOOD = JSON.stringify({
  inputs: [
    { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
    { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
  ],
});
const BAD = JSON.stringify({ inputs: [{ name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] });

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly code?: string;
  readonly error?: string;
}

describe('plans enforced over HTTP', () => {
  let platform: TestPlatform;
  /** A second inference function on the same table: another "Lambda". */
  let second: { url: string; close(): Promise<void> };
  let plans = 0;

  beforeAll(async () => {
    platform = await startTestPlatform();
    const version = await platform.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await platform.admin.setAlias('add-mul', 'prod', version.version);
    const inference = toLambdaHandler(createInferenceApp(await createInferenceDeps(platform.config)));
    second = await startApiGatewayServer({
      port: 0,
      routes: ROUTES,
      handlers: { inference, admin: inference },
      defaultFunction: 'inference',
    });
  });

  afterAll(async () => {
    await second?.close();
    await platform?.stop();
  });

  /** A new plan (the given limits and entitlements) and a tenant on it with a key. */
  async function tenantOn(plan: Omit<CreatePlanRequest, 'planId' | 'prices'>) {
    const planId = `plan-${(plans += 1)}`;
    await platform.admin.createPlan({ planId, prices: PRICES, ...plan });
    const { tenantId } = await platform.admin.createTenant({ name: planId, plan: planId });
    const { key } = await platform.admin.createKey({ tenantId });
    return { planId, tenantId, key };
  }

  async function infer(key: string, body = GOOD, url = platform.url): Promise<Answer> {
    const response = await fetch(`${url}/v2/models/add-mul/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    const json = (await response.json()) as { code?: string; error?: string };
    return { status: response.status, headers: response.headers, code: json.code, error: json.error };
  }

  async function usageOf(key: string) {
    return (await platform.client(key).usage()).totals;
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  describe('the monthly quota', () => {
    it('admits exactly Q of 3Q concurrent requests and bills exactly Q', async () => {
      const { key } = await tenantOn({ monthlyQuota: 25 });

      const answers = await Promise.all(Array.from({ length: 75 }, () => infer(key)));

      const ok = answers.filter((answer) => answer.status === 200);
      const refused = answers.filter((answer) => answer.status === 429);
      expect(ok).toHaveLength(25);
      expect(refused).toHaveLength(50);
      expect(refused.every((answer) => answer.code === 'quota_exceeded')).toBe(true);
      // Each admitted request saw its own count: remaining 24, 23, ..., 0 exactly once.
      const remaining = ok
        .map((answer) => Number(answer.headers.get('x-quota-remaining')))
        .sort((a, b) => a - b);
      expect(remaining).toEqual(Array.from({ length: 25 }, (_, i) => i));
      for (const answer of refused) {
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(answer.headers.get('x-ratelimit-remaining')).toBe('0');
        expect(answer.headers.get('x-quota-remaining')).toBe('0');
      }
      // Refusals are not metered: 25 billed requests, no errors.
      expect(await usageOf(key)).toMatchObject({ requests: 25, errors: 0 });
    });

    it('is exact across two function instances sharing the table', async () => {
      const { key } = await tenantOn({
        monthlyQuota: 25,
        rateLimit: { requestsPerSecond: 1000, burst: 1000 },
      });

      const answers = await Promise.all(
        Array.from({ length: 75 }, (_, i) => infer(key, GOOD, i % 2 === 0 ? platform.url : second.url)),
      );

      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(25);
      expect(answers.filter((answer) => answer.code === 'quota_exceeded')).toHaveLength(50);
      expect(await usageOf(key)).toMatchObject({ requests: 25, errors: 0 });
    });

    it('gives the unit of a failed request back: only successes use the quota', async () => {
      const { key } = await tenantOn({ monthlyQuota: 2 });

      const bad = await infer(key, BAD);
      const first = await infer(key);
      const secondOk = await infer(key);
      const third = await infer(key);

      expect(bad).toMatchObject({ status: 400, code: 'missing_input' });
      expect([first.status, secondOk.status]).toEqual([200, 200]);
      expect(first.headers.get('x-quota-remaining')).toBe('1');
      expect(third).toMatchObject({ status: 429, code: 'quota_exceeded' });
      expect(await usageOf(key)).toMatchObject({ requests: 2, errors: 1 });
    });
  });

  describe('the rate limit', () => {
    it('admits a burst, answers 429 rate_limited with Retry-After, then admits again after waiting', async () => {
      // One request every 2 s: the burst and the refused request fit in that time even on a
      // slow, shared machine, so a token cannot come back in between.
      const { key } = await tenantOn({ rateLimit: { requestsPerSecond: 0.5, burst: 3 } });

      const burst = [];
      for (let i = 0; i < 3; i += 1) burst.push(await infer(key));
      const refused = await infer(key);

      expect(burst.map((answer) => answer.status)).toEqual([200, 200, 200]);
      expect(burst.map((answer) => answer.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0']);
      expect(burst.map((answer) => answer.headers.get('x-ratelimit-limit'))).toEqual(['3', '3', '3']);
      expect(burst[2]?.headers.get('x-ratelimit-reset')).toMatch(/^[1-6]$/);
      expect(burst[0]?.headers.get('x-quota-limit')).toBeNull();
      expect(refused).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(refused.error).toMatch(/0\.5 requests per second, bursts of 3/);
      expect(refused.headers.get('retry-after')).toMatch(/^[12]$/);
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');

      // After Retry-After, one fits again.
      await sleep(Number(refused.headers.get('retry-after')) * 1_000);
      const again = await infer(key);
      expect(again.status).toBe(200);
      expect(await usageOf(key)).toMatchObject({ requests: 4, errors: 0 });
    });

    it('sends no limit headers for a plan without limits', async () => {
      const { key } = await tenantOn({});
      const answer = await infer(key);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-limit')).toBeNull();
      expect(answer.headers.get('x-quota-limit')).toBeNull();
    });
  });

  describe('entitlements', () => {
    it('refuses a tier, a model or a body size the plan does not include, unmetered', async () => {
      const tier = await tenantOn({ allowedTiers: ['sagemaker'] });
      const model = await tenantOn({ allowedModels: ['another-model'] });
      const small = await tenantOn({ maxPayloadBytes: 100 });

      expect(await infer(tier.key)).toMatchObject({ status: 403, code: 'tier_not_in_plan' });
      expect((await infer(tier.key)).error).toMatch(/"lambda" tier, which plan "plan-\d+" does not include/);
      expect(await infer(model.key)).toMatchObject({ status: 403, code: 'model_not_in_plan' });
      const tooLarge = await infer(small.key);
      expect(tooLarge).toMatchObject({ status: 413, code: 'payload_too_large' });
      expect(tooLarge.error).toMatch(
        new RegExp(`The body is ${Buffer.byteLength(GOOD)} bytes; plan "plan-\\d+" allows at most 100`),
      );
      for (const { key } of [tier, model, small]) {
        expect(await usageOf(key)).toMatchObject({ requests: 0, errors: 0 });
      }
    });
  });

  describe('a key whose tenant or plan is gone', () => {
    it('is refused with 403: plan enforcement fails closed', async () => {
      const createdAt = new Date().toISOString();
      await platform.registry.createTenant({
        tenantId: 't_ghostplan',
        name: 'ghost',
        plan: 'no-such-plan',
        createdAt,
      });
      const keyOf = async (tenantId: string) => {
        const generated = generateApiKey();
        await platform.registry.createKey({
          keyId: generated.keyId,
          tenantId,
          hash: generated.hash,
          scopes: ['infer', 'usage:read'],
          createdAt,
        });
        return generated.key;
      };

      const noPlan = await infer(await keyOf('t_ghostplan'));
      const noTenant = await infer(await keyOf('t_nosuchtenant'));

      expect(noPlan).toMatchObject({ status: 403, code: 'plan_missing' });
      expect(noPlan.error).toMatch(/The plan "no-such-plan" of tenant "t_ghostplan" does not exist/);
      expect(noTenant).toMatchObject({ status: 403, code: 'tenant_missing' });
    });
  });

  describe('plan changes', () => {
    it('apply from the next request: entitlements, limits and the plan a request is billed under', async () => {
      const { key, tenantId, planId } = await tenantOn({ monthlyQuota: 100 });
      const roomy = await tenantOn({});

      expect((await infer(key)).status).toBe(200);
      await platform.admin.updatePlan(planId, { allowedModels: ['another-model'] });
      expect(await infer(key)).toMatchObject({ status: 403, code: 'model_not_in_plan' });
      await platform.admin.updatePlan(planId, { allowedModels: null, monthlyQuota: 1 });
      expect(await infer(key)).toMatchObject({ status: 429, code: 'quota_exceeded' });
      await platform.admin.setTenantPlan(tenantId, roomy.planId);
      const moved = await infer(key);
      expect(moved.status).toBe(200);
      expect(moved.headers.get('x-quota-limit')).toBeNull();

      const rows = (await platform.client(key).usage()).rows;
      expect(rows.map((row) => [row.plan, row.requests]).sort()).toEqual(
        [
          [planId, 1],
          [roomy.planId, 1],
        ].sort(),
      );
    });
  });
});
