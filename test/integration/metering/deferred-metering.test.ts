import { randomBytes } from 'node:crypto';
import { AfterResponse } from '../../../functions/core/after-response';
import { DeferredUsageRecorder } from '../../../functions/core/metering/deferred-usage-recorder';
import {
  DurableUsageRecorder,
  UsageLostError,
} from '../../../functions/core/metering/durable-usage-recorder';
import type { UsageEvent } from '../../../functions/core/metering/types';
import { UsageReplayer } from '../../../functions/core/metering/usage-replayer';
import type { DynamoFaultProxy, ProxyFault } from '../../support/dynamo-fault-proxy';
import { startFaultyFunctionStores, type FaultyFunctionStores } from '../../support/faulty-function-stores';

/**
 * Usage written after the response (`DeferredUsageRecorder` over the durable recorder), on
 * the functions' own SDK clients against dynalite and s3rver with the fault proxy in front of
 * dynalite. `record` returns before the write; once the tracker drains (what the Lambda
 * extension and the local emulator do after the response), every event is counted exactly
 * once, through retries, lost answers and spills. Event i has `inputBytes = i`, so the totals
 * prove it.
 */
describe('usage written after the response', () => {
  let proxy: DynamoFaultProxy;
  const THROTTLED = { status: 400, type: 'ProvisionedThroughputExceededException' };

  let stores: FaultyFunctionStores;
  let functionStores: FaultyFunctionStores['functionStores'];

  beforeAll(async () => {
    stores = await startFaultyFunctionStores('deferred-metering-test');
    ({ proxy, functionStores } = stores);
  });

  afterEach(() => proxy.setFaults(undefined));

  afterAll(() => stores?.close());

  /** The inference function's metering with a drainer: the tracker is on. */
  function dataPlane(options: { s3Endpoint?: string } = {}) {
    const stores = functionStores(options);
    const spilled: string[] = [];
    const lost: { event: UsageEvent; error: unknown }[] = [];
    const afterResponse = new AfterResponse();
    afterResponse.enable();
    const usage = new DeferredUsageRecorder({
      recorder: new DurableUsageRecorder({
        store: stores.usage,
        spill: stores.usageSpill,
        onSpilled: (write) => spilled.push(write.writer),
      }),
      afterResponse,
      onUsageLost: (event, error) => lost.push({ event, error }),
    });
    return { usage, afterResponse, spilled, lost };
  }

  function events(tenantId: string, n: number): UsageEvent[] {
    return Array.from({ length: n }, (_, index) => ({
      tenantId,
      keyId: '0123456789abcdef',
      modelName: 'm',
      version: '1',
      plan: 'no-limits',
      at: new Date('2026-11-15T10:00:00Z'),
      error: false,
      computeMs: 1,
      inputBytes: index + 1,
      outputBytes: 2 * (index + 1),
    }));
  }

  async function totals(tenantId: string) {
    const rows = await functionStores().usage.listTenantMonth(tenantId, '2026-11');
    return rows.reduce(
      (sum, row) => ({
        requests: sum.requests + row.requests,
        inputBytes: sum.inputBytes + row.inputBytes,
        outputBytes: sum.outputBytes + row.outputBytes,
      }),
      { requests: 0, inputBytes: 0, outputBytes: 0 },
    );
  }

  function exactly(n: number) {
    return { requests: n, inputBytes: (n * (n + 1)) / 2, outputBytes: n * (n + 1) };
  }

  function tenant(): string {
    return `t_${randomBytes(4).toString('hex')}`;
  }

  function updateFaults(pattern: (n: number) => ProxyFault) {
    let n = 0;
    proxy.setFaults((operation) => (operation === 'UpdateItem' ? pattern(n++) : 'pass'));
  }

  it('returns before the write, and counts every event once after the drain through throttling and lost answers', async () => {
    const id = tenant();
    const { usage, afterResponse, spilled, lost } = dataPlane();
    // Each write: throttled, then applied with its answer lost, then retried (a no-op).
    updateFaults((n) => [THROTTLED, 'drop-answer' as const, 'pass' as const][n % 3] ?? 'pass');

    for (const e of events(id, 8)) await usage.record(e);
    const pendingAfterRecords = afterResponse.pending;
    const drain = await afterResponse.drain(30_000);

    // Every `record` returned with its write still under way.
    expect(pendingAfterRecords).toBe(8);
    expect(drain).toEqual({ drained: true, pending: 0 });
    expect(spilled).toEqual([]);
    expect(lost).toEqual([]);
    expect(await totals(id)).toEqual(exactly(8));
  });

  it('spills writes the table applied without answering, and the replay does not count them again', async () => {
    const id = tenant();
    const { usage, afterResponse, spilled } = dataPlane();
    updateFaults(() => 'stall-answer');

    for (const e of events(id, 3)) await usage.record(e);
    expect(afterResponse.pending).toBe(3);
    await afterResponse.drain(30_000);
    proxy.setFaults(undefined);
    const stores = functionStores();
    const report = await new UsageReplayer({ store: stores.usage, spill: stores.usageSpill }).replay();

    expect(spilled).toHaveLength(3);
    expect(report).toMatchObject({ replayed: 3, failed: 0 });
    expect(await totals(id)).toEqual(exactly(3));
  });

  it('reports an event neither written nor spilled to onUsageLost, never to the request', async () => {
    const id = tenant();
    // S3 unreachable: a port nothing listens on.
    const { usage, afterResponse, lost } = dataPlane({ s3Endpoint: 'http://127.0.0.1:9' });
    proxy.setFaults(() => 'reset');

    const [event] = events(id, 1);
    if (event === undefined) throw new Error('no event');
    await expect(usage.record(event)).resolves.toBeUndefined();
    await afterResponse.drain(30_000);

    expect(lost).toHaveLength(1);
    expect(lost[0]?.event).toEqual(event);
    expect(lost[0]?.error).toBeInstanceOf(UsageLostError);
  });

  it('reads the usage of this instance only once its writes under way are done', async () => {
    const id = tenant();
    const { usage, afterResponse } = dataPlane();
    // Every write waits out a lost answer and a retry before it lands.
    updateFaults((n) => (n % 2 === 0 ? 'drop-answer' : 'pass'));

    for (const e of events(id, 3)) await usage.record(e);
    const pendingBeforeRead = afterResponse.pending;
    const rows = await usage.listTenantMonth(id, '2026-11');

    expect(pendingBeforeRead).toBe(3);
    expect(rows.reduce((sum, row) => sum + row.requests, 0)).toBe(3);
  });

  it('writes before returning while nothing drains (the tracker is off)', async () => {
    const id = tenant();
    const { usage, afterResponse } = dataPlane();
    afterResponse.disable();

    for (const e of events(id, 2)) await usage.record(e);

    expect(afterResponse.pending).toBe(0);
    expect(await totals(id)).toEqual(exactly(2));
  });
});
