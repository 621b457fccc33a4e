import type { z } from 'zod';
import {
  createPlanSchema,
  createTenantSchema,
  planSchema,
  setTenantPlanSchema,
  updatePlanSchema,
} from '../../../functions/api/schemas';
import { MAX_BODY_BYTES } from '../../../functions/constants';
import { DEFAULT_PLANS, planFromDefinition } from '../../../functions/core/plans/default-plans';
import { applyMergePatch } from '../../../functions/core/plans/merge-patch';

const PRICE = { perThousandRequests: '0.40', perComputeSecond: '0.00005' };
const VALID = { planId: 'team', prices: { tiers: { lambda: PRICE, sagemaker: PRICE } } };

/** The problems zod names, as `path: message`. */
function problems(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('createPlanSchema', () => {
  it('fills the defaults: every tier, the platform body limit, USD; no limit means unlimited', () => {
    expect(createPlanSchema.parse(VALID)).toStrictEqual({
      ...VALID,
      allowedTiers: ['lambda', 'sagemaker'],
      maxPayloadBytes: MAX_BODY_BYTES,
      currency: 'USD',
    });
  });

  it('accepts every field at its bounds', () => {
    const plan = {
      ...VALID,
      description: 'd'.repeat(1024),
      monthlyQuota: Number.MAX_SAFE_INTEGER,
      rateLimit: { requestsPerSecond: 0.001, burst: 1 },
      allowedTiers: ['sagemaker'],
      allowedModels: ['digits', 'a.b_c-1'],
      maxPayloadBytes: 1,
      currency: 'JPY',
      prices: {
        tiers: {
          lambda: { perThousandRequests: '0', perComputeSecond: '123456789012345678.123456' },
          sagemaker: PRICE,
        },
        models: { digits: { perThousandRequests: '1', perComputeSecond: '0.000001' } },
      },
    };

    expect(problems(createPlanSchema, plan)).toEqual([]);
  });

  it.each([
    ['an upper-case plan id', { ...VALID, planId: 'Team' }, 'planId: must be 1-64 characters'],
    ['a plan id with a slash', { ...VALID, planId: 'a/b' }, 'planId: must be 1-64 characters'],
    ['a zero quota', { ...VALID, monthlyQuota: 0 }, 'monthlyQuota: Too small'],
    ['a fractional quota', { ...VALID, monthlyQuota: 1.5 }, 'monthlyQuota: Invalid input: expected int'],
    [
      'a quota as a string',
      { ...VALID, monthlyQuota: '100' },
      'monthlyQuota: Invalid input: expected number',
    ],
    [
      'a zero rate',
      { ...VALID, rateLimit: { requestsPerSecond: 0, burst: 1 } },
      'rateLimit.requestsPerSecond: Too small',
    ],
    [
      'a zero burst',
      { ...VALID, rateLimit: { requestsPerSecond: 5, burst: 0 } },
      'rateLimit.burst: Too small',
    ],
    [
      'a fractional burst',
      { ...VALID, rateLimit: { requestsPerSecond: 5, burst: 2.5 } },
      'rateLimit.burst: Invalid input: expected int',
    ],
    [
      'a rate without a burst',
      { ...VALID, rateLimit: { requestsPerSecond: 5 } },
      'rateLimit.burst: Invalid input',
    ],
    ['no tiers', { ...VALID, allowedTiers: [] }, 'allowedTiers: Too small'],
    ['an unknown tier', { ...VALID, allowedTiers: ['gpu'] }, 'allowedTiers.0: Invalid option'],
    [
      'a tier twice',
      { ...VALID, allowedTiers: ['lambda', 'lambda'] },
      'allowedTiers: must not name a tier twice',
    ],
    ['an empty model list', { ...VALID, allowedModels: [] }, 'allowedModels: must name at least one model'],
    [
      'a bad model name',
      { ...VALID, allowedModels: ['Bad Name'] },
      'allowedModels.0: must be 1-64 characters',
    ],
    ['a model twice', { ...VALID, allowedModels: ['a', 'a'] }, 'allowedModels: must not name a model twice'],
    ['a zero body limit', { ...VALID, maxPayloadBytes: 0 }, 'maxPayloadBytes: Too small'],
    [
      'a body limit over the platform limit',
      { ...VALID, maxPayloadBytes: MAX_BODY_BYTES + 1 },
      'maxPayloadBytes: Too big',
    ],
    ['a lower-case currency', { ...VALID, currency: 'usd' }, 'currency: must be an ISO 4217 code'],
    ['a two-letter currency', { ...VALID, currency: 'US' }, 'currency: must be an ISO 4217 code'],
    [
      'a price as a number',
      { ...VALID, prices: { tiers: { lambda: { ...PRICE, perThousandRequests: 0.4 }, sagemaker: PRICE } } },
      'prices.tiers.lambda.perThousandRequests: must be a decimal string such as "0.40", not a number',
    ],
    [
      'an exponent',
      { ...VALID, prices: { tiers: { lambda: { ...PRICE, perComputeSecond: '5e-5' }, sagemaker: PRICE } } },
      'prices.tiers.lambda.perComputeSecond: must be a decimal string',
    ],
    [
      '7 decimals',
      {
        ...VALID,
        prices: { tiers: { lambda: { ...PRICE, perComputeSecond: '0.0000001' }, sagemaker: PRICE } },
      },
      'prices.tiers.lambda.perComputeSecond: must be a decimal string',
    ],
    [
      'a negative price',
      { ...VALID, prices: { tiers: { lambda: { ...PRICE, perComputeSecond: '-1' }, sagemaker: PRICE } } },
      'prices.tiers.lambda.perComputeSecond: must be a decimal string',
    ],
    [
      'a leading zero',
      { ...VALID, prices: { tiers: { lambda: { ...PRICE, perComputeSecond: '01.5' }, sagemaker: PRICE } } },
      'prices.tiers.lambda.perComputeSecond: must be a decimal string',
    ],
    [
      'a tier without a price',
      { ...VALID, prices: { tiers: { lambda: PRICE } } },
      'prices.tiers.sagemaker: Invalid input',
    ],
    [
      'an unknown tier price',
      { ...VALID, prices: { tiers: { lambda: PRICE, sagemaker: PRICE, gpu: PRICE } } },
      'prices.tiers: Unrecognized key: "gpu"',
    ],
    [
      'a model price of a bad name',
      { ...VALID, prices: { ...VALID.prices, models: { 'Bad Name': PRICE } } },
      'prices.models.Bad Name: must be a model name',
    ],
    ['an unknown field', { ...VALID, quota: 5 }, ': Unrecognized key: "quota"'],
    ['timestamps', { ...VALID, createdAt: '2026-01-01T00:00:00.000Z' }, ': Unrecognized key: "createdAt"'],
  ])('refuses %s and names it', (_what, body, expected) => {
    expect(problems(createPlanSchema, body).join('\n')).toContain(expected);
  });
});

describe('updatePlanSchema', () => {
  it('takes null to remove the optional fields and partial objects to merge', () => {
    const patch = {
      monthlyQuota: null,
      rateLimit: { burst: 20 },
      allowedModels: null,
      description: null,
      prices: { tiers: { lambda: { perComputeSecond: '0.0001' } }, models: { digits: null } },
    };

    expect(updatePlanSchema.parse(patch)).toStrictEqual(patch);
  });

  it.each([
    ['an empty patch', {}, ': name at least one field to change'],
    ['the plan id', { planId: 'other' }, ': Unrecognized key: "planId"'],
    ['removing the tiers', { allowedTiers: null }, 'allowedTiers: Invalid input'],
    ['removing the body limit', { maxPayloadBytes: null }, 'maxPayloadBytes: Invalid input'],
    ['removing the currency', { currency: null }, 'currency: Invalid input'],
    ['removing a tier price', { prices: { tiers: { lambda: null } } }, 'prices.tiers.lambda: Invalid input'],
    [
      'a bad price',
      { prices: { tiers: { sagemaker: { perThousandRequests: '1.0000001' } } } },
      'prices.tiers.sagemaker.perThousandRequests: must be a decimal string',
    ],
  ])('refuses %s and names it', (_what, patch, expected) => {
    expect(problems(updatePlanSchema, patch).join('\n')).toContain(expected);
  });
});

describe('planSchema (a whole plan)', () => {
  const plan = planFromDefinition(
    { ...VALID, allowedTiers: ['lambda'], maxPayloadBytes: 10, currency: 'USD' },
    '2026-01-01T00:00:00.000Z',
  );

  it('accepts a complete plan', () => {
    expect(problems(planSchema, plan)).toEqual([]);
  });

  it('refuses prices of models the plan may not call', () => {
    const listed = {
      ...plan,
      allowedModels: ['digits'],
      prices: { ...plan.prices, models: { digits: PRICE, other: PRICE } },
    };

    expect(problems(planSchema, listed)).toEqual([
      'prices.models.other: prices model "other", which allowedModels does not list',
    ]);
  });

  it('needs its timestamps', () => {
    const { updatedAt: _updatedAt, ...rest } = plan;

    expect(problems(planSchema, rest).join('\n')).toContain('updatedAt: Invalid input');
  });
});

describe('default plans', () => {
  it('are free, pro and enterprise, each a valid plan', () => {
    expect(DEFAULT_PLANS.map((plan) => plan.planId)).toEqual(['free', 'pro', 'enterprise']);
    for (const definition of DEFAULT_PLANS) {
      expect(problems(planSchema, planFromDefinition(definition, '2026-01-01T00:00:00.000Z'))).toEqual([]);
    }
  });

  it('go from a free, limited plan to an unlimited one', () => {
    const [free, pro, enterprise] = DEFAULT_PLANS;
    expect(free).toMatchObject({
      monthlyQuota: 10_000,
      rateLimit: { requestsPerSecond: 5, burst: 10 },
      allowedTiers: ['lambda'],
      prices: { tiers: { lambda: { perThousandRequests: '0', perComputeSecond: '0' } } },
    });
    expect(pro).toMatchObject({
      monthlyQuota: 1_000_000,
      rateLimit: { requestsPerSecond: 50, burst: 100 },
      allowedTiers: ['lambda', 'sagemaker'],
    });
    expect(Number(pro?.prices.tiers.lambda.perThousandRequests)).toBeGreaterThan(0);
    expect(enterprise?.monthlyQuota).toBeUndefined();
    expect(enterprise).toMatchObject({ rateLimit: { requestsPerSecond: 1000, burst: 2000 } });
  });
});

describe('tenant plan bodies', () => {
  it('name plans like models', () => {
    expect(problems(createTenantSchema, { name: 'acme' })).toEqual([]);
    expect(problems(createTenantSchema, { name: 'acme', plan: 'Pro!' }).join()).toContain(
      'plan: must be 1-64',
    );
    expect(problems(setTenantPlanSchema, { plan: 'pro' })).toEqual([]);
    expect(problems(setTenantPlanSchema, {}).join()).toContain('plan: Invalid input');
    expect(problems(setTenantPlanSchema, { plan: 'pro', at: 'now' }).join()).toContain(
      'Unrecognized key: "at"',
    );
  });
});

describe('applyMergePatch (RFC 7396)', () => {
  it('replaces, removes with null, merges objects and replaces arrays', () => {
    const target = { a: 1, b: { c: 2, d: 3 }, list: [1, 2], keep: 'x' };

    const result = applyMergePatch(target, { a: null, b: { c: 4, e: 5 }, list: [3], added: true });

    expect(result).toStrictEqual({ b: { c: 4, d: 3, e: 5 }, list: [3], keep: 'x', added: true });
    expect(target).toStrictEqual({ a: 1, b: { c: 2, d: 3 }, list: [1, 2], keep: 'x' });
  });

  it('follows the examples of the RFC', () => {
    expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toStrictEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'b' }, { b: 'c' })).toStrictEqual({ a: 'b', b: 'c' });
    expect(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toStrictEqual({ a: [1] });
    expect(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toStrictEqual({ a: { b: 'd' } });
    expect(applyMergePatch(['a', 'b'], ['c', 'd'])).toStrictEqual(['c', 'd']);
    expect(applyMergePatch({ a: 'foo' }, null)).toBeNull();
    expect(applyMergePatch({}, { a: { bb: { ccc: null } } })).toStrictEqual({ a: { bb: {} } });
    expect(applyMergePatch({ a: 'b' }, { a: undefined })).toStrictEqual({ a: 'b' });
  });
});
