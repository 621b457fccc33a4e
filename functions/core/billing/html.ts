import type { BillingLine, BillingReport, BillingTotal, DailyUsage, TenantBill } from '../../api/views';

/**
 * Renders a report as one self-contained HTML file: inline CSS and an inline SVG chart of
 * daily requests, no scripts, no links, no fonts or images to fetch, so it opens in any
 * browser with nothing else installed (and can be attached to an e-mail). Its Content
 * Security Policy forbids loading anything. Every string from the report is escaped.
 *
 * @example
 * await writeFile('usage-2026-11.html', renderHtml(report));
 */
export function renderHtml(report: BillingReport): string {
  const title = `Infergate usage report ${report.month}`;
  const scope =
    report.tenantId === undefined
      ? 'All tenants'
      : `Tenant ${tenantLabel(report.tenants.find((t) => t.tenantId === report.tenantId) ?? { tenantId: report.tenantId })}`;
  const status = report.final
    ? 'Final: the month is over.'
    : 'Estimate to date: the month is not over and usage is still being recorded.';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>Usage report, ${esc(monthName(report.month))}</h1>`,
    `<p class="meta">${esc(scope)}. Billing period ${esc(report.period.start.slice(0, 10))} to ${esc(lastDay(report))}, the calendar month in UTC. Generated ${esc(report.generatedAt)}.</p>`,
    `<p class="status ${report.final ? 'final' : 'estimate'}">${esc(status)}</p>`,
    '</header>',
    '<section>',
    '<h2>Totals</h2>',
    totalsTable(report.totals),
    '</section>',
    '<section>',
    '<h2>Daily requests</h2>',
    chart(report.daily),
    '</section>',
    ...report.tenants.map(tenantSection),
    '<footer>',
    '<p>Requests are billed per 1,000 successful requests; failed requests are listed and not billed. Compute is billed per second, metered in whole milliseconds. Each charge is computed exactly and rounded half-up to the currency’s minor unit once; a line’s amount is the sum of its two charges and every total is the sum of the amounts above it.</p>',
    '</footer>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const STYLE = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1f2328;background:#fff}',
  'h1{font-size:1.6rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:2rem 0 .5rem}',
  '.meta{color:#59636e;margin:.25rem 0}.status{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;font-weight:600}',
  '.final{background:#dafbe1;color:#116329}.estimate{background:#fff8c5;color:#7d4e00}',
  '.wide{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{padding:.35rem .6rem;border-bottom:1px solid #d1d9e0;text-align:left;white-space:nowrap}',
  'th{background:#f6f8fa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}',
  'tfoot td{font-weight:600;border-top:2px solid #1f2328}.empty{color:#59636e;font-style:italic}',
  '.chart{width:100%;height:auto;max-width:48rem}.chart text{font-size:10px;fill:#59636e}',
  '.chart .grid{stroke:#d1d9e0}.chart .ok{fill:#0969da}.chart .err{fill:#cf222e}',
  'footer{margin-top:2rem;color:#59636e;font-size:.85rem}',
  '@media print{body{margin:0;max-width:none}.wide{overflow:visible}.status{border:1px solid currentColor}}',
].join('');

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
]; // prettier-ignore

function monthName(month: string): string {
  const name = MONTHS[Number(month.slice(5, 7)) - 1];
  return name === undefined ? month : `${name} ${month.slice(0, 4)}`;
}

/** The last day of the period: the day before its exclusive end. */
function lastDay(report: BillingReport): string {
  return new Date(Date.parse(report.period.end) - 86_400_000).toISOString().slice(0, 10);
}

function tenantLabel(tenant: Pick<TenantBill, 'tenantId' | 'tenantName'>): string {
  return tenant.tenantName === undefined ? tenant.tenantId : `${tenant.tenantName} (${tenant.tenantId})`;
}

const TOTAL_HEADERS = [
  'Currency',
  'Requests',
  'Errors',
  'Compute s',
  'Requests amount',
  'Compute amount',
  'Amount',
];

function totalsTable(totals: readonly BillingTotal[]): string {
  if (totals.length === 0) return '<p class="empty">No usage in this month.</p>';
  return table(
    TOTAL_HEADERS,
    [0],
    totals.map((total) => totalCells(total)),
    [],
  );
}

function totalCells(total: BillingTotal): string[] {
  return [
    total.currency,
    count(total.requests),
    count(total.errors),
    decimal(total.computeSeconds),
    decimal(total.requestsAmount),
    decimal(total.computeAmount),
    decimal(total.amount),
  ];
}

const LINE_HEADERS = [
  'Model',
  'Version',
  'Tier',
  'Plan',
  'Requests',
  'Errors',
  'Compute s',
  'Price / 1,000 req.',
  'Price / compute s',
  'Requests amount',
  'Compute amount',
  'Amount',
  'Currency',
];

function tenantSection(tenant: TenantBill): string {
  const body = tenant.lines.map((line: BillingLine) => [
    line.modelName,
    line.version,
    line.tier,
    line.plan,
    count(line.requests),
    count(line.errors),
    decimal(line.computeSeconds),
    `${decimal(line.pricePerThousandRequests)}${line.priceSource === 'model' ? ' (model)' : ''}`,
    `${decimal(line.pricePerComputeSecond)}${line.priceSource === 'model' ? ' (model)' : ''}`,
    decimal(line.requestsAmount),
    decimal(line.computeAmount),
    decimal(line.amount),
    line.currency,
  ]);
  const foot = tenant.totals.map((total) => [
    'Total',
    '',
    '',
    '',
    count(total.requests),
    count(total.errors),
    decimal(total.computeSeconds),
    '',
    '',
    decimal(total.requestsAmount),
    decimal(total.computeAmount),
    decimal(total.amount),
    total.currency,
  ]);
  const content =
    tenant.lines.length === 0
      ? '<p class="empty">No usage in this month.</p>'
      : table(LINE_HEADERS, [0, 1, 2, 3, 12], body, foot);
  return ['<section>', `<h2>${esc(tenantLabel(tenant))}</h2>`, content, '</section>'].join('\n');
}

/** A table; columns whose index is not in `textColumns` are right-aligned numbers. */
function table(
  headers: readonly string[],
  textColumns: readonly number[],
  body: readonly (readonly string[])[],
  foot: readonly (readonly string[])[],
): string {
  const cls = (index: number) => (textColumns.includes(index) ? '' : ' class="n"');
  const row = (cells: readonly string[], tag: 'td' | 'th') =>
    `<tr>${cells.map((cell, index) => `<${tag}${cls(index)}>${esc(cell)}</${tag}>`).join('')}</tr>`;
  return [
    '<div class="wide"><table>',
    `<thead>${row(headers, 'th')}</thead>`,
    `<tbody>${body.map((cells) => row(cells, 'td')).join('')}</tbody>`,
    foot.length === 0 ? '' : `<tfoot>${foot.map((cells) => row(cells, 'td')).join('')}</tfoot>`,
    '</table></div>',
  ].join('');
}

const CHART = { width: 760, height: 260, left: 56, right: 12, top: 16, bottom: 40 } as const;

/** Stacked bars per day: successful requests, then errors. Hovering a bar shows its figures. */
function chart(daily: readonly DailyUsage[]): string {
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const base = CHART.top + plotHeight;
  const most = Math.max(0, ...daily.map((day) => day.requests + day.errors));
  const step = niceStep(most / 4);
  const top = Math.max(step, Math.ceil(most / step) * step);
  const y = (value: number) => (value / top) * plotHeight;
  const band = plotWidth / Math.max(1, daily.length);
  const barWidth = Math.max(1, band * 0.7);
  const parts: string[] = [];
  for (let tick = 0; tick <= top; tick += step) {
    const at = fixed(base - y(tick));
    parts.push(
      `<line class="grid" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${at}" y2="${at}"/>`,
      `<text x="${CHART.left - 6}" y="${fixed(base - y(tick) + 3)}" text-anchor="end">${esc(count(tick))}</text>`,
    );
  }
  daily.forEach((day, index) => {
    const x = fixed(CHART.left + index * band + (band - barWidth) / 2);
    const ok = y(day.requests);
    const err = y(day.errors);
    const label = `${day.day}: ${count(day.requests)} requests, ${count(day.errors)} errors, ${day.computeSeconds} compute s`;
    parts.push(
      `<g><title>${esc(label)}</title>`,
      `<rect class="ok" x="${x}" y="${fixed(base - ok)}" width="${fixed(barWidth)}" height="${fixed(ok)}"/>`,
      `<rect class="err" x="${x}" y="${fixed(base - ok - err)}" width="${fixed(barWidth)}" height="${fixed(err)}"/>`,
      '</g>',
      `<text x="${fixed(CHART.left + index * band + band / 2)}" y="${base + 14}" text-anchor="middle">${esc(String(Number(day.day.slice(8, 10))))}</text>`,
    );
  });
  const legendY = CHART.height - 8;
  parts.push(
    `<rect class="ok" x="${CHART.left}" y="${legendY - 8}" width="10" height="10"/>`,
    `<text x="${CHART.left + 14}" y="${legendY}">successful requests (billed)</text>`,
    `<rect class="err" x="${CHART.left + 190}" y="${legendY - 8}" width="10" height="10"/>`,
    `<text x="${CHART.left + 204}" y="${legendY}">errors (not billed)</text>`,
  );
  if (most === 0) {
    parts.push(
      `<text x="${CHART.left + plotWidth / 2}" y="${CHART.top + plotHeight / 2}" text-anchor="middle">No requests this month</text>`,
    );
  }
  const total = daily.reduce((sum, day) => sum + day.requests, 0);
  const description = `Requests per UTC day: ${count(total)} successful requests in ${daily.length} days`;
  return `<svg class="chart" viewBox="0 0 ${CHART.width} ${CHART.height}" role="img" aria-label="${esc(description)}">${parts.join('')}</svg>`;
}

/** The smallest of 1, 2, 5 × 10^k at least `value` (at least 1: requests are whole). */
function niceStep(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * power >= value) return factor * power;
  }
  return 10 * power;
}

function fixed(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** `1234567` → `1,234,567`, the same on every machine. */
function count(value: number): string {
  return decimal(String(value));
}

/** Groups the whole part of a decimal string by thousands: `1234.50` → `1,234.50`. */
function decimal(value: string): string {
  const [whole = '', fraction] = value.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and quoted attribute values. */
export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}
