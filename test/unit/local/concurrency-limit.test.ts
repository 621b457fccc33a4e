import { ConcurrencyLimit } from '../../../local/concurrency-limit';

describe('ConcurrencyLimit', () => {
  it('lets at most `limit` holders run, the rest in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const order: number[] = [];
    let running = 0;
    let peak = 0;

    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const release = await limit.acquire();
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        release();
      }),
    );

    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(limit.stats()).toEqual({ active: 0, waiting: 0 });
  });

  it('ignores a second release', async () => {
    const limit = new ConcurrencyLimit(1);
    const release = await limit.acquire();
    release();
    release();

    expect(limit.stats()).toEqual({ active: 0, waiting: 0 });
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
    expect(() => new ConcurrencyLimit(1.5)).toThrow(RangeError);
  });
});
