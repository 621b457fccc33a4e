import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { BillingReport, BillingTotal } from '../../client';
import type { CommandContext, GlobalOptions } from '../context';
import { CliError, UsageError } from '../errors';
import { formatCount, table } from '../format';
import { parseMonth } from '../options';

const FORMATS = ['table', 'csv', 'json', 'html'] as const;
type Format = (typeof FORMATS)[number];

interface UsageReportOptions {
  readonly month: string;
  readonly tenant?: string;
  readonly format?: Format;
  readonly out?: string;
}

const HEADERS = [
  'TENANT',
  'MODEL',
  'VERSION',
  'PLAN',
  'REQUESTS',
  'ERRORS',
  'COMPUTE S',
  'PER 1K REQ',
  'PER COMPUTE S',
  'AMOUNT',
  'CURRENCY',
];

const sumOf = (totals: readonly BillingTotal[]): string =>
  totals.map((total) => `${total.currency} ${total.amount}`).join(', ');

/** The report as an aligned table: lines, a total row per tenant and currency, grand totals. */
export function describeReport(report: BillingReport): string {
  const scope = report.tenantId === undefined ? 'all tenants' : `tenant ${report.tenantId}`;
  const status = report.final ? 'final' : 'estimate to date: the month is not over';
  const heading = `usage report for ${report.month} (${scope}), ${status}`;
  const rows: string[][] = [];
  let modelPrices = false;
  for (const tenant of report.tenants) {
    for (const line of tenant.lines) {
      const mark = line.priceSource === 'model' ? '*' : '';
      modelPrices ||= mark !== '';
      rows.push([
        tenant.tenantId,
        line.modelName,
        line.version,
        line.plan,
        formatCount(line.requests),
        formatCount(line.errors),
        line.computeSeconds,
        `${line.pricePerThousandRequests}${mark}`,
        `${line.pricePerComputeSecond}${mark}`,
        line.amount,
        line.currency,
      ]);
    }
    for (const total of tenant.totals) {
      rows.push([
        tenant.tenantId,
        'total',
        '',
        '',
        formatCount(total.requests),
        formatCount(total.errors),
        total.computeSeconds,
        '',
        '',
        total.amount,
        total.currency,
      ]);
    }
  }
  if (rows.length === 0) return `${heading}: no usage`;
  const notes = [
    `total: ${sumOf(report.totals)}`,
    ...(modelPrices ? ['* the plan’s price for the model (else its price for the tier)'] : []),
    'errors are not billed; rounding and columns: docs/billing.md',
  ];
  return [heading, '', table(HEADERS, rows), '', ...notes].join('\n');
}

/** `--format`, or `json` with `--json`; both only when they agree. */
function formatOf(options: UsageReportOptions, command: Command): Format {
  const { json } = command.optsWithGlobals<GlobalOptions>();
  if (json === true && options.format !== undefined && options.format !== 'json') {
    throw new UsageError(`--json and --format ${options.format} disagree; pass one of them`);
  }
  return options.format ?? (json === true ? 'json' : 'table');
}

/** `infergate usage report --month YYYY-MM [--tenant id] [--format table|csv|json|html] [--out file]` */
export function registerUsageReport(usage: Command, context: CommandContext): void {
  usage
    .command('report')
    .description('the month’s usage priced by plan, per tenant, model, version and plan, for invoicing')
    .requiredOption('--month <YYYY-MM>', 'billing month (a calendar month in UTC)', parseMonth)
    .option('--tenant <id>', 'only this tenant')
    .addOption(
      new Option('--format <format>', 'table (default), csv, json or html (a self-contained page)').choices(
        FORMATS,
      ),
    )
    .option('--out <file>', 'write the report to this file instead of standard output')
    .action(async (options: UsageReportOptions, command: Command) => {
      const format = formatOf(options, command);
      const client = await context.client(command);
      const query = { month: options.month, tenantId: options.tenant };
      let text: string;
      if (format === 'csv' || format === 'html') {
        text = await client.usageReportDocument(format, query);
      } else {
        const report = await client.usageReport(query);
        text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${describeReport(report)}\n`;
      }
      if (options.out === undefined) {
        context.io.out(text);
        return;
      }
      const target = path.resolve(context.io.cwd, options.out);
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, text);
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new CliError('write_failed', `cannot write ${options.out}: ${reason}`, { cause });
      }
      context.io.out(`wrote the ${format} usage report of ${options.month} to ${options.out}\n`);
    });
}
