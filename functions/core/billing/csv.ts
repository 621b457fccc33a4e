import type { BillingLine, BillingReport, BillingTotal } from '../../api/views';

/**
 * The CSV columns of the usage report, in order. Stable: columns are only ever added at
 * the end, never renamed, removed or reordered (docs/billing.md).
 */
export const CSV_COLUMNS = [
  'record_type',
  'month',
  'tenant_id',
  'tenant_name',
  'model',
  'version',
  'tier',
  'plan',
  'currency',
  'requests',
  'errors',
  'compute_seconds',
  'price_source',
  'price_per_1000_requests',
  'price_per_compute_second',
  'requests_amount',
  'compute_amount',
  'amount',
] as const;

type Column = (typeof CSV_COLUMNS)[number];
type CsvRecord = Partial<Record<Column, string | number>>;

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Renders a report as CSV (RFC 4180: CRLF line ends, a header row, fields quoted when they
 * hold a comma, quote, CR or LF, quotes doubled). One `line` record per tenant, model,
 * version and plan; after each tenant's lines a `tenant_total` record per currency; at the
 * end a `grand_total` record per currency. Text that a spreadsheet would take for a
 * formula (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'`.
 *
 * @example
 * const csv = renderCsv(report); // 'record_type,month,tenant_id,...\r\nline,2026-11,t_1,...'
 */
export function renderCsv(report: BillingReport): string {
  const records: CsvRecord[] = [];
  for (const tenant of report.tenants) {
    const who = { month: report.month, tenant_id: tenant.tenantId, tenant_name: tenant.tenantName ?? '' };
    for (const line of tenant.lines) records.push({ record_type: 'line', ...who, ...lineFields(line) });
    for (const total of tenant.totals)
      records.push({ record_type: 'tenant_total', ...who, ...totalFields(total) });
  }
  for (const total of report.totals) {
    records.push({ record_type: 'grand_total', month: report.month, ...totalFields(total) });
  }
  const rows = [
    CSV_COLUMNS.join(','),
    ...records.map((record) => CSV_COLUMNS.map((column) => field(record[column])).join(',')),
  ];
  return `${rows.join('\r\n')}\r\n`;
}

function lineFields(line: BillingLine): CsvRecord {
  return {
    model: line.modelName,
    version: line.version,
    tier: line.tier,
    plan: line.plan,
    currency: line.currency,
    requests: line.requests,
    errors: line.errors,
    compute_seconds: line.computeSeconds,
    price_source: line.priceSource,
    price_per_1000_requests: line.pricePerThousandRequests,
    price_per_compute_second: line.pricePerComputeSecond,
    requests_amount: line.requestsAmount,
    compute_amount: line.computeAmount,
    amount: line.amount,
  };
}

function totalFields(total: BillingTotal): CsvRecord {
  return {
    currency: total.currency,
    requests: total.requests,
    errors: total.errors,
    compute_seconds: total.computeSeconds,
    requests_amount: total.requestsAmount,
    compute_amount: total.computeAmount,
    amount: total.amount,
  };
}

function field(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
