import type { Command } from 'commander';
import type { UsageReport } from '../../client';
import type { CommandContext } from '../context';
import { formatBytes, formatCount, table } from '../format';
import { parseMonth } from '../options';

function describe(report: UsageReport): string {
  const scope = report.tenantId === undefined ? 'all tenants' : `tenant ${report.tenantId}`;
  const { totals } = report;
  const summary =
    `total: ${formatCount(totals.requests)} requests, ${formatCount(totals.errors)} errors, ` +
    `${formatCount(totals.computeMs)} ms compute, ${formatBytes(totals.inputBytes)} in, ` +
    `${formatBytes(totals.outputBytes)} out`;
  if (report.rows.length === 0) return `usage for ${report.month} (${scope}): no requests`;
  const rows = report.rows.map((r) => [
    r.day,
    r.tenantId,
    r.modelName,
    r.version,
    formatCount(r.requests),
    formatCount(r.errors),
    formatCount(r.computeMs),
    formatBytes(r.inputBytes),
    formatBytes(r.outputBytes),
  ]);
  const headers = ['DAY', 'TENANT', 'MODEL', 'VERSION', 'REQUESTS', 'ERRORS', 'COMPUTE MS', 'IN', 'OUT'];
  return `usage for ${report.month} (${scope})\n\n${table(headers, rows)}\n\n${summary}`;
}

/** `infergate usage show [--month YYYY-MM] [--tenant id]` */
export function registerUsageShow(usage: Command, context: CommandContext): void {
  usage
    .command('show')
    .description('show metered usage per day, tenant and model version')
    .option('--month <YYYY-MM>', 'month to show (default: the current UTC month)', parseMonth)
    .option('--tenant <id>', 'only this tenant')
    .action(async (options: { month?: string; tenant?: string }, command: Command) => {
      const client = await context.client(command);
      const report = await client.adminUsage({ month: options.month, tenantId: options.tenant });
      context.print(command, report, describe);
    });
}
