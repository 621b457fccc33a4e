import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The fields of `bench/.results/load-latest.json` (written by `npm run test:load`) that the report shows. */
interface LoadResult {
  readonly date: string;
  readonly connections: number;
  readonly sustainedRate: number;
  readonly main: {
    readonly durationS: number;
    readonly achievedRate: number;
    readonly ok2xx: number;
    readonly status5xx: number;
    readonly latencyMs: { readonly p50: number; readonly p99: number };
  };
  readonly metering: { readonly counted2xx: number; readonly meteredRequests: number };
  readonly rss: { readonly afterWarmupMB: number; readonly endMB: number; readonly endOverWarmup: number };
}

function isLoadResult(value: unknown): value is LoadResult {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['date', 'main', 'metering', 'rss'].every((key) => key in record);
}

/**
 * The section of docs/benchmarks.md about the latest bounded load run (`npm run test:load`,
 * which CI runs too). It is a separate run from the rest of the page: its date is shown.
 */
export function latestLoadSection(resultsDir: string): string[] {
  const file = path.join(resultsDir, 'load-latest.json');
  if (!existsSync(file)) return [];
  const result: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isLoadResult(result)) return [];
  const { main, metering, rss } = result;
  return [
    '## Load: `npm run test:load` (latest run)',
    '',
    `A separate run (${result.date}): autocannon on loopback against \`local/main.ts\` with the add-mul fixture model, ${result.connections} connections,`,
    "for 60 s at 10% below the highest rate a ramp of 5 s steps sustained. The tenant is on `enterprise`: every request's one write admits and meters it.",
    '',
    '| rate held | requests | 2xx | 5xx | p50 | p99 | metered / 2xx the load tool saw (whole run, ramp included) | RSS, medians of the last / first 10 s of the main run |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| **${main.achievedRate} requests/s** for ${main.durationS} s | ${main.ok2xx + (main.status5xx ?? 0)} | ${main.ok2xx} | ${main.status5xx} | ${main.latencyMs.p50} ms | ${main.latencyMs.p99} ms | ${metering.meteredRequests} / ${metering.counted2xx} | ${rss.endMB} MB / ${rss.afterWarmupMB} MB (${rss.endOverWarmup}x) |`,
    '',
  ];
}
