import type { BillingLine, BillingReport, BillingTotal, DailyUsage, TenantBill } from '../../api/views';
import type { UsageRow } from '../metering/types';
import type { Plan, Tier } from '../registry/types';
import { formatMoney, formatPrice, formatUnits } from './money';
import { billedMillis, chargeOf, computeMicrosOf, unitPriceOf, UnpricedUsageError } from './pricing';

/** What a report is built from: rows of one month and what prices them. */
export interface BillingReportInput {
  /** `YYYY-MM`; every row must be of this month. */
  readonly month: string;
  readonly rows: readonly UsageRow[];
  /** Every plan a row names, by id. */
  readonly plans: ReadonlyMap<string, Plan>;
  /** The tier of every model version a row names, by `versionKey(model, version)`. */
  readonly tiers: ReadonlyMap<string, Tier>;
  /** Tenant names by id, for display. */
  readonly tenantNames: ReadonlyMap<string, string>;
  readonly generatedAt: Date;
  /** A report of one tenant: the tenant is listed even without usage. */
  readonly tenantId?: string;
}

/** Key of a model version in `BillingReportInput.tiers`. */
export function versionKey(modelName: string, version: string): string {
  return `${modelName}#${version}`;
}

/** The calendar month in UTC: `[start, end)` as ISO instants. */
export function monthPeriod(month: string): { start: string; end: string } {
  const [year = 0, monthNumber = 0] = month.split('-').map(Number);
  const start = new Date(Date.UTC(year, monthNumber - 1, 1));
  const end = new Date(Date.UTC(year, monthNumber, 1));
  return { start: start.toISOString(), end: end.toISOString() };
}

/** Exact sums of a group of lines, in minor units and whole milliseconds. */
interface Sums {
  requests: number;
  errors: number;
  computeMs: bigint;
  requestsMinor: bigint;
  computeMinor: bigint;
  amountMinor: bigint;
}

const zeroSums = (): Sums => ({
  requests: 0,
  errors: 0,
  computeMs: 0n,
  requestsMinor: 0n,
  computeMinor: 0n,
  amountMinor: 0n,
});

interface PricedLine {
  readonly view: BillingLine;
  readonly sums: Sums;
}

/**
 * Builds the usage report of a month. Pure: the caller reads the rows, plans, tiers and
 * tenant names. Rows are summed per tenant, model, version and plan over the month, then
 * each line is priced by its own plan (a tenant that changed plan has a line per plan).
 * Every total is the sum of the rounded figures under it.
 *
 * Throws `UnpricedUsageError` when a row's plan or version is unknown: a report never
 * leaves usage out or prices it at zero.
 */
export function buildBillingReport(input: BillingReportInput): BillingReport {
  const period = monthPeriod(input.month);
  const lines = priceLines(input);
  const byTenant = new Map<string, PricedLine[]>();
  if (input.tenantId !== undefined) byTenant.set(input.tenantId, []);
  for (const line of lines) {
    const list = byTenant.get(line.view.tenantId) ?? [];
    list.push(line);
    byTenant.set(line.view.tenantId, list);
  }
  const grand = new Map<string, Sums>();
  const tenants: TenantBill[] = [...byTenant.keys()].sort(compareText).map((tenantId) => {
    const tenantLines = byTenant.get(tenantId) ?? [];
    const totals = new Map<string, Sums>();
    for (const line of tenantLines) {
      add(totalsOf(totals, line.view.currency), line.sums);
      add(totalsOf(grand, line.view.currency), line.sums);
    }
    const name = input.tenantNames.get(tenantId);
    return {
      tenantId,
      ...(name === undefined ? {} : { tenantName: name }),
      lines: tenantLines.map((line) => line.view),
      totals: totalViews(totals),
    };
  });
  return {
    month: input.month,
    period,
    generatedAt: input.generatedAt.toISOString(),
    final: input.generatedAt.getTime() >= Date.parse(period.end),
    ...(input.tenantId === undefined ? {} : { tenantId: input.tenantId }),
    tenants,
    totals: totalViews(grand),
    daily: dailySeries(input.month, period, input.rows),
  };
}

interface Group {
  readonly row: UsageRow;
  requests: number;
  errors: number;
  computeMicros: bigint;
}

function priceLines(input: BillingReportInput): PricedLine[] {
  const groups = new Map<string, Group>();
  for (const row of input.rows) {
    if (!row.day.startsWith(`${input.month}-`)) {
      throw new RangeError(`usage row of ${row.day} in the report of ${input.month}`);
    }
    const key = [row.tenantId, row.modelName, row.version, row.plan].join('\u0000');
    const group = groups.get(key) ?? { row, requests: 0, errors: 0, computeMicros: 0n };
    group.requests += row.requests;
    group.errors += row.errors;
    group.computeMicros += computeMicrosOf(row.computeMs);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => priceGroup(group, input)).sort(compareLines);
}

function priceGroup(group: Group, input: BillingReportInput): PricedLine {
  const { tenantId, modelName, version, plan: planId } = group.row;
  const what = `usage of tenant "${tenantId}" on ${modelName} version ${version}`;
  const plan = input.plans.get(planId);
  if (plan === undefined) {
    throw new UnpricedUsageError(
      `The ${what} was served under plan "${planId}", which does not exist: create the plan to price it`,
    );
  }
  const tier = input.tiers.get(versionKey(modelName, version));
  if (tier === undefined) {
    throw new UnpricedUsageError(`Cannot price the ${what}: the version is not in the registry`);
  }
  const price = unitPriceOf(plan, modelName, tier);
  const computeMs = billedMillis(group.computeMicros);
  const charge = chargeOf(BigInt(group.requests), computeMs, price, plan.currency);
  const { currency } = plan;
  return {
    view: {
      tenantId,
      modelName,
      version,
      tier,
      plan: planId,
      currency,
      requests: group.requests,
      errors: group.errors,
      computeSeconds: formatUnits(computeMs, 3),
      priceSource: price.source,
      pricePerThousandRequests: formatPrice(price.perThousandRequestsMicro, currency),
      pricePerComputeSecond: formatPrice(price.perComputeSecondMicro, currency),
      requestsAmount: formatMoney(charge.requestsMinor, currency),
      computeAmount: formatMoney(charge.computeMinor, currency),
      amount: formatMoney(charge.amountMinor, currency),
    },
    sums: {
      requests: group.requests,
      errors: group.errors,
      computeMs,
      requestsMinor: charge.requestsMinor,
      computeMinor: charge.computeMinor,
      amountMinor: charge.amountMinor,
    },
  };
}

function totalsOf(totals: Map<string, Sums>, currency: string): Sums {
  const existing = totals.get(currency);
  if (existing !== undefined) return existing;
  const created = zeroSums();
  totals.set(currency, created);
  return created;
}

function add(into: Sums, sums: Sums): void {
  into.requests += sums.requests;
  into.errors += sums.errors;
  into.computeMs += sums.computeMs;
  into.requestsMinor += sums.requestsMinor;
  into.computeMinor += sums.computeMinor;
  into.amountMinor += sums.amountMinor;
}

function totalViews(totals: ReadonlyMap<string, Sums>): BillingTotal[] {
  return [...totals.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([currency, sums]) => ({
      currency,
      requests: sums.requests,
      errors: sums.errors,
      computeSeconds: formatUnits(sums.computeMs, 3),
      requestsAmount: formatMoney(sums.requestsMinor, currency),
      computeAmount: formatMoney(sums.computeMinor, currency),
      amount: formatMoney(sums.amountMinor, currency),
    }));
}

/** Every day of the month with the requests, errors and compute of the report's rows. */
function dailySeries(
  month: string,
  period: { start: string; end: string },
  rows: readonly UsageRow[],
): DailyUsage[] {
  const days = Math.round((Date.parse(period.end) - Date.parse(period.start)) / 86_400_000);
  const series = Array.from({ length: days }, (_, index) => ({
    day: `${month}-${String(index + 1).padStart(2, '0')}`,
    requests: 0,
    errors: 0,
    computeMicros: 0n,
  }));
  for (const row of rows) {
    const entry = series[Number(row.day.slice(8, 10)) - 1];
    if (entry === undefined) throw new RangeError(`usage row of an invalid day: ${row.day}`);
    entry.requests += row.requests;
    entry.errors += row.errors;
    entry.computeMicros += computeMicrosOf(row.computeMs);
  }
  return series.map((entry) => ({
    day: entry.day,
    requests: entry.requests,
    errors: entry.errors,
    computeSeconds: formatUnits(billedMillis(entry.computeMicros), 3),
  }));
}

/** Ordinal comparison: the same order on every machine, whatever its locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareLines(a: PricedLine, b: PricedLine): number {
  const x = a.view;
  const y = b.view;
  return (
    compareText(x.tenantId, y.tenantId) ||
    compareText(x.modelName, y.modelName) ||
    Number(x.version) - Number(y.version) ||
    compareText(x.version, y.version) ||
    compareText(x.plan, y.plan)
  );
}
