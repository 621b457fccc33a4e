import { AfterResponse } from '../../../functions/core/after-response';

/** A promise and the functions that settle it. */
function gate() {
  let open: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open: () => open(), fail: (error: Error) => fail(error) };
}

describe('AfterResponse', () => {
  it('is off until a drainer enables it, and off again when it disables it', () => {
    const tracker = new AfterResponse();
    expect(tracker.enabled).toBe(false);
    tracker.enable();
    expect(tracker.enabled).toBe(true);
    tracker.disable();
    expect(tracker.enabled).toBe(false);
  });

  it('returns from defer at once and drains once the work has settled', async () => {
    const tracker = new AfterResponse();
    const work = gate();
    tracker.defer(work.promise);
    expect(tracker.pending).toBe(1);

    let drained = false;
    const drain = tracker.drain(5_000).then((result) => {
      drained = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(drained).toBe(false);

    work.open();
    await expect(drain).resolves.toEqual({ drained: true, pending: 0 });
    expect(tracker.pending).toBe(0);
  });

  it('waits for work deferred while it drains', async () => {
    const tracker = new AfterResponse();
    const first = gate();
    const second = gate();
    tracker.defer(first.promise);
    const drain = tracker.drain(5_000);
    first.open();
    await Promise.resolve();
    tracker.defer(second.promise);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(tracker.pending).toBe(1);
    second.open();
    await expect(drain).resolves.toEqual({ drained: true, pending: 0 });
  });

  it('gives up at the bound and says how much is left', async () => {
    const tracker = new AfterResponse();
    const stuck = gate();
    tracker.defer(stuck.promise);
    const started = Date.now();
    await expect(tracker.drain(50)).resolves.toEqual({ drained: false, pending: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    stuck.open();
    await expect(tracker.drain(1_000)).resolves.toEqual({ drained: true, pending: 0 });
  });

  it('drains at once when nothing is pending, and refuses a negative bound', async () => {
    const tracker = new AfterResponse();
    await expect(tracker.drain(0)).resolves.toEqual({ drained: true, pending: 0 });
    await expect(tracker.drain(-1)).rejects.toThrow(/timeoutMs must be a number >= 0, got -1/);
  });

  it('reports work that rejects instead of losing the rejection, and still drains', async () => {
    const errors: unknown[] = [];
    const tracker = new AfterResponse({ onError: (error) => errors.push(error) });
    const work = gate();
    tracker.defer(work.promise);
    work.fail(new Error('table down'));
    await expect(tracker.drain(1_000)).resolves.toEqual({ drained: true, pending: 0 });
    expect(errors).toEqual([new Error('table down')]);
  });
});
