import { BadRequestError } from '../errors';
import type { UsageTotals } from '../../api/views';
import type { UsageRow } from './types';

/** Sums usage rows. */
export function totalsOf(rows: readonly UsageRow[]): UsageTotals {
  const totals = { requests: 0, errors: 0, computeMs: 0, inputBytes: 0, outputBytes: 0 };
  for (const row of rows) {
    totals.requests += row.requests;
    totals.errors += row.errors;
    totals.computeMs += row.computeMs;
    totals.inputBytes += row.inputBytes;
    totals.outputBytes += row.outputBytes;
  }
  totals.computeMs = Math.round(totals.computeMs * 1000) / 1000;
  return totals;
}

/** The UTC month (`YYYY-MM`) of an instant. */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** The UTC day (`YYYY-MM-DD`) of an instant. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Validates a `month` query parameter, defaulting to the current UTC month. */
export function parseMonth(value: string | undefined, now: Date = new Date()): string {
  if (value === undefined || value === '') return monthOf(now);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) {
    throw new BadRequestError(
      'invalid_month',
      `"month" must be a month as YYYY-MM, got "${value.slice(0, 40)}"`,
    );
  }
  return value;
}
