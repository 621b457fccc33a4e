import { startLocalUsageReplay } from '../../../local/usage-replay';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startLocalUsageReplay', () => {
  it('runs a pass at once, then on the interval, never two at a time, and stops after the pass in flight', async () => {
    let passes = 0;
    let concurrent = 0;
    let most = 0;
    const replay = startLocalUsageReplay(
      async () => {
        passes++;
        concurrent++;
        most = Math.max(most, concurrent);
        // Longer than the interval: ticks that find a pass in flight are skipped.
        await sleep(35);
        concurrent--;
      },
      10,
      () => undefined,
    );

    await replay.first;
    const afterFirst = passes;
    await sleep(120);
    await replay.stop();
    const atStop = passes;
    await sleep(50);

    expect(afterFirst).toBe(1);
    expect(atStop).toBeGreaterThanOrEqual(2);
    expect(most).toBe(1);
    expect(concurrent).toBe(0);
    expect(passes).toBe(atStop);
  });

  it('reports a failed pass and tries again on the next tick', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    const replay = startLocalUsageReplay(
      async () => {
        passes++;
        if (passes === 1) throw new Error('spill unreachable');
      },
      10,
      (error) => errors.push(error),
    );

    await replay.first;
    await sleep(60);
    await replay.stop();

    expect(errors).toEqual([new Error('spill unreachable')]);
    expect(passes).toBeGreaterThanOrEqual(2);
  });

  it('refuses an interval that is not a positive integer', () => {
    expect(() =>
      startLocalUsageReplay(
        async () => undefined,
        0,
        () => undefined,
      ),
    ).toThrow('intervalMs must be a positive integer, got 0');
  });
});
