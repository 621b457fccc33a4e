import type { BaselineAgreement } from '../functions/core/registry/types';

/**
 * Human output: aligned tables and readable sizes. Machine output (`--json`) bypasses all
 * of this and prints the response unchanged.
 */

/** Renders rows under upper-case headers, columns separated by two spaces. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `label: value` lines with the values aligned. */
export function fields(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(...entries.map(([label]) => label.length)) + 1;
  return entries.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`).join('\n');
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** `1536` → `1.5 KB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `12345` → `12,345`. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** A placeholder for absent values in tables. */
export function orDash(value: string | undefined): string {
  return value === undefined || value === '' ? '-' : value;
}

/** `[-1, 4]` */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** `vs 1: probabilities top-1 100.00% of 32 rows, max |diff| 0.0079` (one clause per output). */
export function formatAgreement(agreement: BaselineAgreement): string {
  const outputs = agreement.outputs.map((output) => {
    const topOne =
      output.topOneAgreement === undefined
        ? ''
        : ` top-1 ${(output.topOneAgreement * 100).toFixed(2)}% of ${output.rows ?? 0} rows,`;
    const nonFinite =
      output.nonFiniteMismatches === 0 ? '' : `, ${output.nonFiniteMismatches} non-finite mismatches`;
    return `${output.output}${topOne} max |diff| ${output.maxAbsDiff.toPrecision(2)}${nonFinite}`;
  });
  return `vs ${agreement.baselineVersion}: ${outputs.join('; ')}`;
}
