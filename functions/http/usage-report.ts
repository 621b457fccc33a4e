import type { Context } from 'hono';
import type { BillingReport } from '../api/views';
import { renderCsv } from '../core/billing/csv';
import { renderHtml } from '../core/billing/html';
import { BadRequestError } from '../core/errors';
import type { AppEnv } from './app-env';

/** The renderings of a usage report that the API serves. */
export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Content types of the report formats. */
export const REPORT_CONTENT_TYPES: Readonly<Record<ReportFormat, string>> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8; header=present',
  html: 'text/html; charset=utf-8',
};

/** The `format` query parameter: `json` when absent, else one of `REPORT_FORMATS` (400 `invalid_format`). */
export function parseReportFormat(value: string | undefined): ReportFormat {
  if (value === undefined || value === '') return 'json';
  const format = REPORT_FORMATS.find((candidate) => candidate === value);
  if (format === undefined) {
    throw new BadRequestError(
      'invalid_format',
      `"format" must be one of ${REPORT_FORMATS.join(', ')}, got "${value.slice(0, 40)}"`,
    );
  }
  return format;
}

/**
 * Answers with a report in a format. CSV comes as an attachment named after the month
 * (and tenant); HTML with a Content Security Policy that lets it load nothing. Reports are
 * never cached on the way.
 */
export function reportResponse(c: Context<AppEnv>, report: BillingReport, format: ReportFormat): Response {
  c.header('cache-control', 'no-store');
  if (format === 'json') return c.json(report);
  const name = reportFileName(report, format);
  if (format === 'csv') {
    return c.body(renderCsv(report), 200, {
      'content-type': REPORT_CONTENT_TYPES.csv,
      'content-disposition': `attachment; filename="${name}"`,
    });
  }
  return c.body(renderHtml(report), 200, {
    'content-type': REPORT_CONTENT_TYPES.html,
    'content-disposition': `inline; filename="${name}"`,
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
}

/** `infergate-usage-2026-11.csv`, or `infergate-usage-2026-11-t_1234.csv` for one tenant. */
export function reportFileName(
  report: Pick<BillingReport, 'month' | 'tenantId'>,
  format: ReportFormat,
): string {
  const tenant = report.tenantId === undefined ? '' : `-${report.tenantId.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  return `infergate-usage-${report.month}${tenant}.${format}`;
}
