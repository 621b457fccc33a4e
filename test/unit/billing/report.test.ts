import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BillingLine, BillingReport } from '../../../functions/api/views';
import { parsePrice } from '../../../functions/core/billing/money';
import { buildBillingReport, monthPeriod } from '../../../functions/core/billing/report';
import { monthInput, PLANS, ROWS } from './month-fixture';

const GOLDEN = join(__dirname, '../../fixtures/billing');

function lineOf(report: BillingReport, tenantId: string, modelName: string, plan: string): BillingLine {
  const line = report.tenants
    .find((tenant) => tenant.tenantId === tenantId)
    ?.lines.find((l) => l.modelName === modelName && l.plan === plan);
  if (line === undefined) throw new Error(`no line ${tenantId}/${modelName}/${plan}`);
  return line;
}

/** Minor units of a formatted amount: '12.34' → 1234n. */
const minor = (amount: string): bigint => BigInt(amount.replace('.', ''));

describe('buildBillingReport', () => {
  it('matches the golden JSON of the fixture month', () => {
    const golden: unknown = JSON.parse(readFileSync(join(GOLDEN, 'usage-2026-11.json'), 'utf8'));

    expect(buildBillingReport(monthInput())).toEqual(golden);
  });

  it('prices a tenant that changed plan mid-month by each plan', () => {
    const report = buildBillingReport(monthInput());

    // 1,200 requests before the change, on free: nothing to pay.
    expect(lineOf(report, 't_acme', 'text-direction', 'free')).toMatchObject({
      requests: 1200,
      errors: 3,
      pricePerThousandRequests: '0.00',
      amount: '0.00',
    });
    // 2,501 requests after it, on pro: 2,501 × 0.40 / 1000 = 1.0004 → 1.00.
    expect(lineOf(report, 't_acme', 'text-direction', 'pro')).toMatchObject({
      requests: 2501,
      errors: 1,
      pricePerThousandRequests: '0.40',
      requestsAmount: '1.00',
      amount: '1.00',
    });
  });

  it("uses the plan's model price over its tier price", () => {
    const line = lineOf(buildBillingReport(monthInput()), 't_acme', 'ocr-large', 'pro');

    // sagemaker on pro is 2.00 / 0.00035; the model price is 1.25 / 0.0001.
    expect(line).toMatchObject({
      tier: 'sagemaker',
      priceSource: 'model',
      pricePerThousandRequests: '1.25',
      pricePerComputeSecond: '0.0001',
      computeSeconds: '3600.000',
      requestsAmount: '0.01', // 10 × 1.25 / 1000 = 0.0125
      computeAmount: '0.36', // 3600 s × 0.0001
      amount: '0.37',
    });
  });

  it('bills successful requests only and lists errors', () => {
    const line = lineOf(buildBillingReport(monthInput()), 't_globex', 'gpu-embed', 'enterprise-eu');

    // 100 successful requests × 1.5 / 1000 = 0.15, whatever the 5 errors.
    expect(line).toMatchObject({ requests: 100, errors: 5, requestsAmount: '0.15' });
  });

  it('sums compute over the month before rounding to whole milliseconds', () => {
    const line = lineOf(buildBillingReport(monthInput()), 't_acme', 'text-direction', 'pro');

    // 12000.5 ms + 0.999 ms = 12001.499 ms → 12001 ms (per-day rounding would give 12002).
    expect(line.computeSeconds).toBe('12.001');
  });

  it('keeps every total the sum of the rounded figures under it', () => {
    const report = buildBillingReport(monthInput());

    for (const tenant of report.tenants) {
      for (const total of tenant.totals) {
        const lines = tenant.lines.filter((line) => line.currency === total.currency);
        const sum = (pick: (line: BillingLine) => string) =>
          lines.reduce((acc, line) => acc + minor(pick(line)), 0n);
        expect(minor(total.amount)).toBe(sum((line) => line.amount));
        expect(minor(total.requestsAmount)).toBe(sum((line) => line.requestsAmount));
        expect(minor(total.computeAmount)).toBe(sum((line) => line.computeAmount));
        expect(minor(total.computeSeconds)).toBe(sum((line) => line.computeSeconds));
        expect(total.requests).toBe(lines.reduce((acc, line) => acc + line.requests, 0));
      }
      for (const line of tenant.lines) {
        expect(minor(line.amount)).toBe(minor(line.requestsAmount) + minor(line.computeAmount));
      }
    }
    for (const total of report.totals) {
      const tenants = report.tenants.flatMap((t) => t.totals.filter((x) => x.currency === total.currency));
      expect(minor(total.amount)).toBe(tenants.reduce((acc, t) => acc + minor(t.amount), 0n));
    }
    expect(report.totals.map((total) => [total.currency, total.amount])).toEqual([
      ['EUR', '0.49'],
      ['JPY', '15'],
      ['USD', '1.37'],
    ]);
  });

  it('does not depend on the order of the rows', () => {
    const reversed = buildBillingReport(monthInput({ rows: [...ROWS].reverse() }));

    expect(reversed).toEqual(buildBillingReport(monthInput()));
  });

  it('lists every day of the month for the chart', () => {
    const { daily } = buildBillingReport(monthInput());

    expect(daily).toHaveLength(30);
    expect(daily[0]).toEqual({ day: '2026-11-01', requests: 0, errors: 0, computeSeconds: '0.000' });
    expect(daily[4]).toEqual({ day: '2026-11-05', requests: 1039, errors: 0, computeSeconds: '62.234' });
    expect(daily[29]?.day).toBe('2026-11-30');
    expect(daily.reduce((sum, day) => sum + day.requests, 0)).toBe(
      ROWS.reduce((sum, row) => sum + row.requests, 0),
    );
    expect(buildBillingReport(monthInput({ month: '2028-02', rows: [] })).daily).toHaveLength(29);
  });

  it('is an estimate until the month is over', () => {
    const during = buildBillingReport(monthInput({ generatedAt: new Date('2026-11-30T23:59:59.999Z') }));
    const after = buildBillingReport(monthInput({ generatedAt: new Date('2026-12-01T00:00:00.000Z') }));

    expect(during.final).toBe(false);
    expect(after.final).toBe(true);
  });

  it('lists the tenant of a one-tenant report even without usage', () => {
    const report = buildBillingReport(monthInput({ rows: [], tenantId: 't_acme' }));

    expect(report.tenantId).toBe('t_acme');
    expect(report.tenants).toEqual([{ tenantId: 't_acme', tenantName: 'Acme, Inc.', lines: [], totals: [] }]);
    expect(report.totals).toEqual([]);
  });

  it('refuses usage served under a plan that does not exist', () => {
    const plans = new Map(PLANS.filter((plan) => plan.planId !== 'jp').map((plan) => [plan.planId, plan]));

    expect(() => buildBillingReport(monthInput({ plans }))).toThrow(
      expect.objectContaining({
        code: 'unpriced_usage',
        status: 500,
        message: expect.stringContaining('plan "jp"'),
      }),
    );
  });

  it('refuses usage of a version whose tier is unknown', () => {
    expect(() => buildBillingReport(monthInput({ tiers: new Map() }))).toThrow(
      expect.objectContaining({ code: 'unpriced_usage' }),
    );
  });

  it('refuses a plan with a malformed price', () => {
    const [free] = PLANS;
    if (free === undefined) throw new Error('fixture');
    const broken = {
      ...free,
      prices: {
        tiers: { ...free.prices.tiers, lambda: { perThousandRequests: '0.1234567', perComputeSecond: '0' } },
      },
    };
    const plans = new Map(PLANS.map((plan) => [plan.planId, plan.planId === 'free' ? broken : plan]));

    expect(() => buildBillingReport(monthInput({ plans }))).toThrow(
      expect.objectContaining({ code: 'invalid_price' }),
    );
  });

  it('refuses rows of another month', () => {
    expect(() => buildBillingReport(monthInput({ month: '2026-10' }))).toThrow(RangeError);
  });

  it('takes the fixture prices as exact decimals', () => {
    // The fixture's EUR lambda price is written with 6 decimals and reported with the minor unit.
    expect(parsePrice('0.300000')).toBe(parsePrice('0.3'));
    expect(
      lineOf(buildBillingReport(monthInput()), 't_globex', 'text-direction', 'enterprise-eu'),
    ).toMatchObject({
      pricePerThousandRequests: '0.30',
      requestsAmount: '0.30', // 999 × 0.3 / 1000 = 0.2997
    });
  });
});

describe('monthPeriod', () => {
  it('is the calendar month in UTC, end exclusive', () => {
    expect(monthPeriod('2026-11')).toEqual({
      start: '2026-11-01T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
    });
    expect(monthPeriod('2026-12')).toEqual({
      start: '2026-12-01T00:00:00.000Z',
      end: '2027-01-01T00:00:00.000Z',
    });
  });
});
