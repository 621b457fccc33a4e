import { InfergateApiError } from '../../../client';
import { MAX_BODY_BYTES } from '../../../functions/constants';
import { DEFAULT_PLANS } from '../../../functions/core/plans/default-plans';
import { ensureDefaultPlansThroughApi } from '../../../local/seed';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

/** Plans and tenants' plans through the admin API: real handlers, dynalite, the local gateway. */
describe('plans over the admin API', () => {
  let platform: TestPlatform;
  let tenantKey: string;

  const PRICE = { perThousandRequests: '0.40', perComputeSecond: '0.00005' };
  const PRICES = { tiers: { lambda: PRICE, sagemaker: PRICE } };

  beforeAll(async () => {
    platform = await startTestPlatform();
    const { tenantId } = await platform.admin.createTenant({ name: 'caller' });
    tenantKey = (await platform.admin.createKey({ tenantId })).key;
  });

  afterAll(async () => {
    await platform.stop();
  });

  interface Answer {
    readonly status: number;
    readonly body: Record<string, unknown>;
    readonly headers: Headers;
  }

  /** A raw request with the admin key: bodies the typed client would never send. */
  async function send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const response = await fetch(`${platform.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${platform.adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
      headers: response.headers,
    };
  }

  async function errorOf(call: Promise<unknown>): Promise<InfergateApiError> {
    try {
      await call;
    } catch (error) {
      if (error instanceof InfergateApiError) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  describe('default plans', () => {
    it('a tenant created without a plan is on free, which exists from then on', async () => {
      const tenant = await platform.admin.createTenant({ name: 'no-plan' });

      expect(tenant).toMatchObject({ plan: 'free', planSince: tenant.createdAt });
      await expect(platform.admin.getPlan('free')).resolves.toMatchObject({
        planId: 'free',
        monthlyQuota: 10_000,
        allowedTiers: ['lambda'],
      });
    });

    it('are created through the API once; plans that exist are kept as they are', async () => {
      await platform.admin.updatePlan('free', { monthlyQuota: 123 });

      const first = await ensureDefaultPlansThroughApi(platform.admin);
      const second = await ensureDefaultPlansThroughApi(platform.admin);

      expect(first).toEqual(['pro', 'enterprise']);
      expect(second).toEqual([]);
      const { plans } = await platform.admin.listPlans();
      expect(plans.map((plan) => plan.planId)).toEqual(
        expect.arrayContaining(DEFAULT_PLANS.map((p) => p.planId)),
      );
      expect(plans.find((plan) => plan.planId === 'free')?.monthlyQuota).toBe(123);
      expect(plans.find((plan) => plan.planId === 'enterprise')).toMatchObject({
        rateLimit: { requestsPerSecond: 1000, burst: 2000 },
      });
      expect(plans.find((plan) => plan.planId === 'enterprise')?.monthlyQuota).toBeUndefined();
    });
  });

  describe('plans', () => {
    it('creates a plan with the defaults filled in, and reads it back', async () => {
      const created = await platform.admin.createPlan({ planId: 'starter', prices: PRICES });

      expect(created).toStrictEqual({
        planId: 'starter',
        allowedTiers: ['lambda', 'sagemaker'],
        maxPayloadBytes: MAX_BODY_BYTES,
        currency: 'USD',
        prices: PRICES,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        updatedAt: created.createdAt,
      });
      await expect(platform.admin.getPlan('starter')).resolves.toStrictEqual(created);
      const { plans } = await platform.admin.listPlans();
      expect(plans.find((plan) => plan.planId === 'starter')).toStrictEqual(created);
    });

    it('patches a plan as a JSON merge patch', async () => {
      await platform.admin.createPlan({
        planId: 'team',
        description: 'for teams',
        monthlyQuota: 100_000,
        rateLimit: { requestsPerSecond: 10, burst: 20 },
        allowedModels: ['digits', 'text-direction'],
        prices: { ...PRICES, models: { digits: PRICE, 'text-direction': PRICE } },
      });

      const patched = await platform.admin.updatePlan('team', {
        monthlyQuota: null,
        rateLimit: { burst: 40 },
        description: null,
        prices: { tiers: { lambda: { perComputeSecond: '0.0001' } }, models: { digits: null } },
      });

      expect(patched).toMatchObject({
        planId: 'team',
        rateLimit: { requestsPerSecond: 10, burst: 40 },
        allowedModels: ['digits', 'text-direction'],
        prices: {
          tiers: { lambda: { perThousandRequests: '0.40', perComputeSecond: '0.0001' }, sagemaker: PRICE },
          models: { 'text-direction': PRICE },
        },
      });
      expect(patched.monthlyQuota).toBeUndefined();
      expect(patched.description).toBeUndefined();
      expect(patched.updatedAt > patched.createdAt).toBe(true);
      await expect(platform.admin.getPlan('team')).resolves.toStrictEqual(patched);

      const unlimited = await platform.admin.updatePlan('team', { rateLimit: null, allowedModels: null });
      expect(unlimited.rateLimit).toBeUndefined();
      expect(unlimited.allowedModels).toBeUndefined();
    });

    it('409 plan_exists for an id that is taken', async () => {
      await platform.admin.createPlan({ planId: 'taken', prices: PRICES });

      const error = await errorOf(
        platform.admin.createPlan({ planId: 'taken', monthlyQuota: 1, prices: PRICES }),
      );

      expect(error).toMatchObject({ status: 409, code: 'plan_exists' });
      expect((await platform.admin.getPlan('taken')).monthlyQuota).toBeUndefined();
    });

    it.each([
      ['GET', '/admin/plans/nope'],
      ['PATCH', '/admin/plans/nope'],
      ['GET', '/admin/plans/Not%20A%20Name'],
      ['PATCH', `/admin/plans/${'x'.repeat(65)}`],
    ])('404 plan_not_found for %s %s', async (method, path) => {
      const answer = await send(method, path, method === 'PATCH' ? { monthlyQuota: 5 } : undefined);

      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('plan_not_found');
    });

    const bad = (field: string, value: unknown) => ({ planId: 'bad', prices: PRICES, [field]: value });
    it.each([
      ['planId', { planId: 'Bad!', prices: PRICES }],
      ['prices', { planId: 'bad' }],
      ['monthlyQuota', bad('monthlyQuota', 0)],
      ['monthlyQuota', bad('monthlyQuota', 2.5)],
      ['monthlyQuota', bad('monthlyQuota', '1000')],
      ['rateLimit.requestsPerSecond', bad('rateLimit', { requestsPerSecond: 0, burst: 1 })],
      ['rateLimit.requestsPerSecond', bad('rateLimit', { requestsPerSecond: -1, burst: 1 })],
      ['rateLimit.burst', bad('rateLimit', { requestsPerSecond: 5, burst: 0 })],
      ['rateLimit.burst', bad('rateLimit', { requestsPerSecond: 5, burst: 1.5 })],
      ['allowedTiers', bad('allowedTiers', [])],
      ['allowedTiers.0', bad('allowedTiers', ['gpu'])],
      ['allowedModels', bad('allowedModels', [])],
      ['allowedModels.0', bad('allowedModels', ['../etc'])],
      ['maxPayloadBytes', bad('maxPayloadBytes', 0)],
      ['maxPayloadBytes', bad('maxPayloadBytes', MAX_BODY_BYTES + 1)],
      ['currency', bad('currency', 'dollars')],
      [
        'prices.tiers.lambda.perThousandRequests',
        bad('prices', { tiers: { ...PRICES.tiers, lambda: { ...PRICE, perThousandRequests: 0.4 } } }),
      ],
      [
        'prices.tiers.lambda.perComputeSecond',
        bad('prices', { tiers: { ...PRICES.tiers, lambda: { ...PRICE, perComputeSecond: '1e-5' } } }),
      ],
      [
        'prices.tiers.sagemaker.perComputeSecond',
        bad('prices', { tiers: { ...PRICES.tiers, sagemaker: { ...PRICE, perComputeSecond: '0.1234567' } } }),
      ],
      ['prices.tiers.sagemaker', bad('prices', { tiers: { lambda: PRICE } })],
      ['prices.models.NOT OK', bad('prices', { ...PRICES, models: { 'NOT OK': PRICE } })],
      ['body', bad('createdAt', '2026-01-01T00:00:00.000Z')],
    ])('POST refuses a bad %s with 400 invalid_request naming it', async (field, body) => {
      const answer = await send('POST', '/admin/plans', body);

      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('invalid_request');
      expect(answer.body.error).toContain(`${field}:`);
      expect((await send('GET', '/admin/plans/bad')).status).toBe(404);
    });

    it.each([
      ['body', {}],
      ['body', { planId: 'renamed' }],
      ['monthlyQuota', { monthlyQuota: -5 }],
      ['allowedTiers', { allowedTiers: null }],
      ['currency', { currency: null }],
      ['maxPayloadBytes', { maxPayloadBytes: '1MB' }],
      ['prices.tiers.lambda', { prices: { tiers: { lambda: null } } }],
      ['prices.tiers.lambda.perComputeSecond', { prices: { tiers: { lambda: { perComputeSecond: 1 } } } }],
    ])('PATCH refuses a bad %s with 400 invalid_request naming it', async (field, patch) => {
      const answer = await send('PATCH', '/admin/plans/starter', patch);

      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('invalid_request');
      expect(answer.body.error).toContain(`${field}:`);
    });

    it('400 invalid_plan, naming the problem, when the plan as a whole would break a rule', async () => {
      await platform.admin.createPlan({ planId: 'no-rate', prices: PRICES });

      const burstOnly = await send('PATCH', '/admin/plans/no-rate', { rateLimit: { burst: 5 } });
      const unlisted = await send('POST', '/admin/plans', {
        planId: 'unlisted',
        allowedModels: ['digits'],
        prices: { ...PRICES, models: { other: PRICE } },
      });

      expect(burstOnly.status).toBe(400);
      expect(burstOnly.body).toMatchObject({ code: 'invalid_plan' });
      expect(burstOnly.body.error).toContain('rateLimit.requestsPerSecond:');
      expect(unlisted.status).toBe(400);
      expect(unlisted.body).toMatchObject({ code: 'invalid_plan' });
      expect(unlisted.body.error).toContain(
        'prices.models.other: prices model "other", which allowedModels does not list',
      );
      expect((await platform.admin.getPlan('no-rate')).rateLimit).toBeUndefined();
    });

    it('refuses bodies that are not JSON', async () => {
      const text = await send('POST', '/admin/plans', 'planId=x', { 'content-type': 'text/plain' });
      const broken = await send('PATCH', '/admin/plans/starter', '{"monthlyQuota":', {});
      const empty = await send('PUT', '/admin/tenants/t_x/plan', '', {});

      expect([text.status, text.body.code]).toEqual([415, 'unsupported_media_type']);
      expect([broken.status, broken.body.code]).toEqual([400, 'invalid_json']);
      expect([empty.status, empty.body.code]).toEqual([400, 'invalid_json']);
    });

    it('accepts application/merge-patch+json for PATCH', async () => {
      const answer = await send(
        'PATCH',
        '/admin/plans/starter',
        { monthlyQuota: 77 },
        {
          'content-type': 'application/merge-patch+json',
        },
      );

      expect(answer.status).toBe(200);
      expect(answer.body.monthlyQuota).toBe(77);
    });

    it('answers 405 with Allow for a method a plan route does not take', async () => {
      const answer = await send('DELETE', '/admin/plans/starter');

      expect(answer.status).toBe(405);
      expect(answer.body.code).toBe('method_not_allowed');
      expect(answer.headers.get('allow')).toBe('GET, PATCH');
    });

    it('is for admin keys only', async () => {
      const tenant = platform.client(tenantKey);

      expect(await errorOf(tenant.listPlans())).toMatchObject({ status: 403, code: 'insufficient_scope' });
      expect(await errorOf(tenant.createPlan({ planId: 'mine', prices: PRICES }))).toMatchObject({
        status: 403,
      });
      expect(await errorOf(tenant.setTenantPlan('t_x', 'pro'))).toMatchObject({ status: 403 });
      const anonymous = await fetch(`${platform.url}/admin/plans`);
      expect(anonymous.status).toBe(401);
    });
  });

  describe("tenants' plans", () => {
    it('creates a tenant on a named plan, and refuses a plan that does not exist', async () => {
      const onPro = await platform.admin.createTenant({ name: 'pro-tenant', plan: 'pro' });
      const unknown = await errorOf(platform.admin.createTenant({ name: 'x', plan: 'platinum' }));
      const malformed = await send('POST', '/admin/tenants', { name: 'x', plan: 'Platinum Plus' });

      expect(onPro).toMatchObject({ plan: 'pro', planSince: onPro.createdAt });
      expect(unknown).toMatchObject({ status: 400, code: 'unknown_plan' });
      expect(unknown.message).toContain('Plan "platinum" does not exist');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ code: 'invalid_request' });
      expect(malformed.body.error).toContain('plan:');
    });

    it('moves a tenant, records each change with its time, and lists them oldest first', async () => {
      const tenant = await platform.admin.createTenant({ name: 'mover' });
      await platform.admin.createPlan({ planId: 'growth', prices: PRICES });

      const moved = await platform.admin.setTenantPlan(tenant.tenantId, 'growth');
      const again = await platform.admin.setTenantPlan(tenant.tenantId, 'enterprise');
      const same = await platform.admin.setTenantPlan(tenant.tenantId, 'enterprise');

      expect(moved).toMatchObject({ tenantId: tenant.tenantId, plan: 'growth' });
      expect((moved.planSince ?? '') > tenant.createdAt).toBe(true);
      expect(again.plan).toBe('enterprise');
      expect(same).toStrictEqual(again);
      await expect(platform.admin.getTenant(tenant.tenantId)).resolves.toStrictEqual(again);
      await expect(platform.admin.listPlanChanges(tenant.tenantId)).resolves.toStrictEqual({
        tenantId: tenant.tenantId,
        changes: [
          { tenantId: tenant.tenantId, to: 'free', at: tenant.createdAt },
          { tenantId: tenant.tenantId, from: 'free', to: 'growth', at: moved.planSince },
          { tenantId: tenant.tenantId, from: 'growth', to: 'enterprise', at: again.planSince },
        ],
      });
      const { tenants } = await platform.admin.listTenants();
      expect(tenants.find((t) => t.tenantId === tenant.tenantId)?.plan).toBe('enterprise');
    });

    it('refuses an unknown plan, an unknown tenant and a bad body', async () => {
      const tenant = await platform.admin.createTenant({ name: 'stays' });

      const unknownPlan = await errorOf(platform.admin.setTenantPlan(tenant.tenantId, 'platinum'));
      const unknownTenant = await errorOf(platform.admin.setTenantPlan('t_0000000000000000', 'pro'));
      const longTenant = await send('PUT', `/admin/tenants/${'t'.repeat(65)}/plan`, { plan: 'pro' });
      const badPlan = await send('PUT', `/admin/tenants/${tenant.tenantId}/plan`, { plan: 'PRO' });
      const extra = await send('PUT', `/admin/tenants/${tenant.tenantId}/plan`, { plan: 'pro', at: 'now' });
      const missing = await send('PUT', `/admin/tenants/${tenant.tenantId}/plan`, {});

      expect(unknownPlan).toMatchObject({ status: 400, code: 'unknown_plan' });
      expect(unknownTenant).toMatchObject({ status: 404, code: 'tenant_not_found' });
      expect([longTenant.status, longTenant.body.code]).toEqual([404, 'tenant_not_found']);
      for (const answer of [badPlan, extra, missing]) {
        expect([answer.status, answer.body.code]).toEqual([400, 'invalid_request']);
      }
      expect(badPlan.body.error).toContain('plan:');
      expect(extra.body.error).toContain('"at"');
      await expect(platform.admin.getTenant(tenant.tenantId)).resolves.toMatchObject({ plan: 'free' });
    });

    it('404 tenant_not_found for the plan changes of an unknown tenant', async () => {
      const error = await errorOf(platform.admin.listPlanChanges('t_0000000000000000'));

      expect(error).toMatchObject({ status: 404, code: 'tenant_not_found' });
    });
  });
});
