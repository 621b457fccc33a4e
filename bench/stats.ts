/** Latency summary of a series of samples, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) throw new RangeError('summarize needs at least one sample');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return {
    count: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
}

/** Times `fn` `runs` times after `warmup` untimed runs, one at a time. */
export async function timeSequential(
  fn: () => Promise<unknown>,
  runs: number,
  warmup: number,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Milliseconds, with microseconds below 1 ms. */
export const ms = (value: number) => `${value.toFixed(Math.abs(value) < 1 ? 3 : 2)} ms`;

export const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}x`;

/** Median of a non-empty series. */
export function median(samples: readonly number[]): number {
  return summarize(samples).p50;
}
