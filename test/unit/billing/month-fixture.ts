import type { UsageRow } from '../../../functions/core/metering/types';
import type { Plan, Price, Tier } from '../../../functions/core/registry/types';
import type { BillingReportInput } from '../../../functions/core/billing/report';

/**
 * A fixed month of usage, plans and tenants whose report is kept as golden files in
 * test/fixtures/billing/. Acme moves from `free` to `pro` on 2026-11-17; Globex bills in
 * EUR; Tokyo in JPY; `ocr-large` has a model price on `pro`.
 */

const AT = '2026-10-01T00:00:00.000Z';

function plan(
  planId: string,
  currency: string,
  tiers: Record<Tier, Price>,
  models?: Record<string, Price>,
): Plan {
  return {
    planId,
    allowedTiers: ['lambda', 'sagemaker'],
    maxPayloadBytes: 6 * 1024 * 1024,
    currency,
    prices: { tiers, ...(models === undefined ? {} : { models }) },
    createdAt: AT,
    updatedAt: AT,
  };
}

export const PLANS: readonly Plan[] = [
  plan('free', 'USD', {
    lambda: { perThousandRequests: '0', perComputeSecond: '0' },
    sagemaker: { perThousandRequests: '0', perComputeSecond: '0' },
  }),
  plan(
    'pro',
    'USD',
    {
      lambda: { perThousandRequests: '0.40', perComputeSecond: '0.000125' },
      sagemaker: { perThousandRequests: '2.00', perComputeSecond: '0.00035' },
    },
    { 'ocr-large': { perThousandRequests: '1.25', perComputeSecond: '0.0001' } },
  ),
  plan('enterprise-eu', 'EUR', {
    lambda: { perThousandRequests: '0.300000', perComputeSecond: '0.0001' },
    sagemaker: { perThousandRequests: '1.5', perComputeSecond: '0.000281' },
  }),
  plan('jp', 'JPY', {
    lambda: { perThousandRequests: '45', perComputeSecond: '0.015' },
    sagemaker: { perThousandRequests: '220', perComputeSecond: '0.05' },
  }),
];

export const TIERS: ReadonlyMap<string, Tier> = new Map<string, Tier>([
  ['text-direction#1', 'lambda'],
  ['text-direction#2', 'lambda'],
  ['ocr-large#2', 'sagemaker'],
  ['gpu-embed#1', 'sagemaker'],
]);

export const TENANT_NAMES: ReadonlyMap<string, string> = new Map([
  ['t_acme', 'Acme, Inc.'],
  ['t_globex', 'Globex "Intl" GmbH'],
  ['t_tokyo', 'Tokyo Labs'],
]);

function row(
  tenantId: string,
  day: string,
  modelName: string,
  version: string,
  plan: string,
  requests: number,
  errors: number,
  computeMs: number,
): UsageRow {
  return {
    tenantId,
    day,
    modelName,
    version,
    plan,
    requests,
    errors,
    computeMs,
    inputBytes: 0,
    outputBytes: 0,
  };
}

export const ROWS: readonly UsageRow[] = [
  row('t_acme', '2026-11-03', 'text-direction', '1', 'free', 1200, 3, 4567.891),
  row('t_acme', '2026-11-17', 'text-direction', '1', 'pro', 2500, 0, 12000.5),
  row('t_acme', '2026-11-18', 'text-direction', '1', 'pro', 1, 1, 0.999),
  row('t_acme', '2026-11-20', 'ocr-large', '2', 'pro', 10, 2, 3_600_000),
  row('t_globex', '2026-11-05', 'text-direction', '2', 'enterprise-eu', 999, 0, 1000),
  row('t_globex', '2026-11-05', 'gpu-embed', '1', 'enterprise-eu', 40, 0, 61234.25),
  row('t_globex', '2026-11-06', 'gpu-embed', '1', 'enterprise-eu', 60, 5, 90000.25),
  row('t_tokyo', '2026-11-30', 'text-direction', '1', 'jp', 333, 0, 1234.568),
];

/** The month's report input, generated after the month ended (a final report). */
export function monthInput(overrides: Partial<BillingReportInput> = {}): BillingReportInput {
  return {
    month: '2026-11',
    rows: ROWS,
    plans: new Map(PLANS.map((p) => [p.planId, p])),
    tiers: TIERS,
    tenantNames: TENANT_NAMES,
    generatedAt: new Date('2026-12-01T08:00:00.000Z'),
    ...overrides,
  };
}
