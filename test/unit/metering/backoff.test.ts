import { backoffDelay, checkBackoffPolicy } from '../../../functions/core/metering/backoff';
import { WRITER_PATTERN, writeId } from '../../../functions/core/metering/usage-write';

describe('backoffDelay (exponential, full jitter)', () => {
  const policy = { baseDelayMs: 50, maxDelayMs: 500 };

  it('caps pause n at min(max, base * 2^n): 50, 100, 200, 400, then 500', () => {
    const caps = [0, 1, 2, 3, 4, 5, 40].map((attempt) => backoffDelay(attempt, policy, () => 0.999999));

    expect(caps).toEqual([49, 99, 199, 399, 499, 499, 499]);
  });

  it('draws uniformly from 0 up to the cap', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
    const draws = Array.from({ length: 2_000 }, () => backoffDelay(2, policy));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(200);
    // Full jitter spreads writers that failed together: the mean is half the cap.
    const mean = draws.reduce((sum, draw) => sum + draw, 0) / draws.length;
    expect(mean).toBeGreaterThan(80);
    expect(mean).toBeLessThan(120);
  });

  it('refuses a negative or fractional attempt and a policy that makes no sense, naming the field', () => {
    expect(() => backoffDelay(-1, policy)).toThrow('attempt must be an integer >= 0, got -1');
    expect(() => backoffDelay(1.5, policy)).toThrow('attempt must be an integer >= 0, got 1.5');
    expect(() => checkBackoffPolicy({ baseDelayMs: 0, maxDelayMs: 10 }, 'retry')).toThrow(
      'retry.baseDelayMs must be a positive number, got 0',
    );
    expect(() => checkBackoffPolicy({ baseDelayMs: 100, maxDelayMs: 10 }, 'retry')).toThrow(
      'retry.maxDelayMs must be a number >= baseDelayMs, got 10',
    );
  });
});

describe('writeId', () => {
  it('names a write by its writer and number, and refuses what cannot be an object or item key', () => {
    const write = { writer: '3f9a1c0d2b4e.0', sequence: 12 };

    expect(writeId(write)).toBe('3f9a1c0d2b4e.0-12');
    expect(WRITER_PATTERN.test('a/b')).toBe(false);
    expect(() => writeId({ writer: 'a/b', sequence: 1 })).toThrow(/write.writer must match/);
    expect(() => writeId({ writer: 'a#b', sequence: 1 })).toThrow(/write.writer must match/);
    expect(() => writeId({ writer: 'w', sequence: 0 })).toThrow(
      'write.sequence must be a positive integer, got 0',
    );
  });
});
