import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { METRICS_NAMESPACE, USAGE_METRICS, USAGE_SPILL_PREFIX } from '../../../functions/constants';
import { UnavailableError } from '../../../functions/core/errors';
import {
  DurableUsageRecorder,
  UsageLostError,
} from '../../../functions/core/metering/durable-usage-recorder';
import type { UsageEvent } from '../../../functions/core/metering/types';
import { UsageReplayer } from '../../../functions/core/metering/usage-replayer';
import { createDurableMetering } from '../../../functions/shared/metering';
import { watchForSecrets } from '../../trust/support/secret-watch';
import type { DynamoFaultProxy, ProxyFault } from '../../support/dynamo-fault-proxy';
import { startFaultyFunctionStores, type FaultyFunctionStores } from '../../support/faulty-function-stores';
import type { LocalS3 } from '../../support/s3rver';

/**
 * Metering that loses nothing and counts nothing twice, on the functions' own SDK clients
 * (`createStores`: usage writes with one attempt and a 1 s request timeout, S3 with its
 * production settings) against dynalite and s3rver, with a fault-injecting proxy in front
 * of dynalite. Event i has `inputBytes = i`, so a total of `n(n+1)/2` bytes over `n`
 * requests proves that every event counted once: a lost event or a double count would
 * change one or the other.
 */
describe('durable metering under faults', () => {
  let s3: LocalS3;
  let proxy: DynamoFaultProxy;

  const THROTTLED = { status: 400, type: 'ProvisionedThroughputExceededException' };
  const INTERNAL = { status: 500, type: 'InternalServerError' };
  const UNAVAILABLE = { status: 503, type: 'ServiceUnavailable' };

  let stores: FaultyFunctionStores;
  let functionStores: FaultyFunctionStores['functionStores'];

  beforeAll(async () => {
    stores = await startFaultyFunctionStores('metering-test');
    ({ s3, proxy, functionStores } = stores);
  });

  afterEach(() => proxy.setFaults(undefined));

  afterAll(() => stores?.close());

  /** An inference function's recorder, as `createDurableMetering` builds it, and its spills. */
  function dataPlane(options: { s3Endpoint?: string } = {}) {
    const stores = functionStores(options);
    const spilled: string[] = [];
    const usage = new DurableUsageRecorder({
      store: stores.usage,
      spill: stores.usageSpill,
      onSpilled: (write) => spilled.push(write.writer),
    });
    return { usage, spilled, stores };
  }

  /** The replay function: another process, with its own clients. */
  function replayer() {
    const stores = functionStores();
    return new UsageReplayer({ store: stores.usage, spill: stores.usageSpill });
  }

  function event(tenantId: string, i: number): UsageEvent {
    return {
      tenantId,
      keyId: '0123456789abcdef',
      modelName: 'm',
      version: '1',
      plan: 'standard',
      at: new Date('2026-11-15T10:00:00Z'),
      error: false,
      computeMs: 1,
      inputBytes: i,
      outputBytes: 2 * i,
    };
  }

  function events(tenantId: string, n: number): UsageEvent[] {
    return Array.from({ length: n }, (_, index) => event(tenantId, index + 1));
  }

  async function totals(tenantId: string) {
    const rows = await functionStores().usage.listTenantMonth(tenantId, '2026-11');
    return rows.reduce(
      (sum, row) => ({
        requests: sum.requests + row.requests,
        errors: sum.errors + row.errors,
        inputBytes: sum.inputBytes + row.inputBytes,
        outputBytes: sum.outputBytes + row.outputBytes,
      }),
      { requests: 0, errors: 0, inputBytes: 0, outputBytes: 0 },
    );
  }

  function exactly(n: number) {
    return { requests: n, errors: 0, inputBytes: (n * (n + 1)) / 2, outputBytes: n * (n + 1) };
  }

  async function spillIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const id of functionStores().usageSpill.list()) ids.push(id);
    return ids;
  }

  function tenant(): string {
    return `t_${randomBytes(4).toString('hex')}`;
  }

  /** The n-th UpdateItem call (from 0) gets `pattern(n)`; other operations pass. */
  function updateFaults(pattern: (n: number) => ProxyFault) {
    let n = 0;
    proxy.setFaults((operation) => (operation === 'UpdateItem' ? pattern(n++) : 'pass'));
  }

  function faultsSeen(from: number, fault: string): number {
    return proxy.requests.slice(from).filter((request) => request.fault === fault).length;
  }

  it('retries throttled writes with backoff and counts each event once, spilling nothing', async () => {
    const id = tenant();
    const { usage, spilled } = dataPlane();
    const seen = proxy.requests.length;
    // Two throttled answers before each write gets through: the recorder's own retries.
    updateFaults((n) => (n % 3 === 2 ? 'pass' : THROTTLED));

    const started = performance.now();
    for (const e of events(id, 10)) await usage.record(e);
    const ms = performance.now() - started;

    expect(faultsSeen(seen, '400 ProvisionedThroughputExceededException')).toBe(20);
    expect(spilled).toEqual([]);
    expect(await totals(id)).toEqual(exactly(10));
    // Backoff from 0-50 ms, then 0-100 ms: far below the 2 s budget per event.
    expect(ms).toBeLessThan(10 * 2_000);
  });

  it('retries 500 and 503 answers and counts each event once', async () => {
    const id = tenant();
    const { usage, spilled } = dataPlane();
    const seen = proxy.requests.length;
    updateFaults((n) => [INTERNAL, UNAVAILABLE, 'pass' as const][n % 3] ?? 'pass');

    for (const e of events(id, 12)) await usage.record(e);

    expect(faultsSeen(seen, '500 InternalServerError')).toBe(12);
    expect(faultsSeen(seen, '503 ServiceUnavailable')).toBe(12);
    expect(spilled).toEqual([]);
    expect(await totals(id)).toEqual(exactly(12));
  });

  it.each(['drop-answer', 'stall-answer'] as const)(
    'retries a write the table applied but whose answer was lost (%s) with the same number: counted once',
    async (fault) => {
      const id = tenant();
      const { usage, spilled } = dataPlane();
      const seen = proxy.requests.length;
      // Every first attempt is applied and unanswered (a reset, or a 1 s request timeout).
      updateFaults((n) => (n % 2 === 0 ? fault : 'pass'));

      for (const e of events(id, 4)) await usage.record(e);

      expect(faultsSeen(seen, fault)).toBe(4);
      expect(spilled).toEqual([]);
      expect(await totals(id)).toEqual(exactly(4));
    },
  );

  it('spills a write whose every attempt was applied but unanswered, and the replay does not count it again', async () => {
    const id = tenant();
    const { usage, spilled } = dataPlane();
    updateFaults(() => 'stall-answer');

    const started = performance.now();
    await Promise.all(events(id, 3).map((e) => usage.record(e)));
    const ms = performance.now() - started;
    proxy.setFaults(undefined);
    const applied = await totals(id);
    const report = await replayer().replay();

    // The table applied the writes; the spill keeps them with their writer and number.
    expect(spilled).toHaveLength(3);
    expect(applied).toEqual(exactly(3));
    expect(report).toEqual({ replayed: 3, failed: 0, left: 0, stoppedEarly: false });
    expect(await totals(id)).toEqual(exactly(3));
    // The 2 s budget bounds the wait (plus the spill itself).
    expect(ms).toBeLessThan(4_000);
  });

  it('spills every event through a full outage, and the replay applies each exactly once after recovery', async () => {
    const id = tenant();
    const { usage, spilled } = dataPlane();
    const seen = proxy.requests.length;
    proxy.setFaults(() => 'reset');

    const latencies: number[] = [];
    for (const e of events(id, 30)) {
      const started = performance.now();
      await usage.record(e);
      latencies.push(performance.now() - started);
    }
    const attempts = proxy.requests.slice(seen).filter((r) => r.operation === 'UpdateItem').length;
    const whileDown = await replayer().replay();
    proxy.setFaults(undefined);
    const beforeReplay = await totals(id);
    const [first, second] = await Promise.all([replayer().replay(), replayer().replay()]);
    const again = await replayer().replay();

    expect(spilled).toHaveLength(30);
    // The first event retried for its whole budget; the rest found the table known-bad and tried once.
    expect(latencies[0]).toBeGreaterThan(1_000);
    expect(attempts).toBeLessThan(30 + 40);
    expect(Math.max(...latencies.slice(1))).toBeLessThan(1_500);
    expect(whileDown).toMatchObject({ replayed: 0, left: 30, stoppedEarly: true });
    expect(whileDown.failed).toBeGreaterThanOrEqual(1);
    expect(beforeReplay).toEqual({ requests: 0, errors: 0, inputBytes: 0, outputBytes: 0 });
    expect((first?.replayed ?? 0) + (second?.replayed ?? 0)).toBeGreaterThanOrEqual(30);
    expect(again).toEqual({ replayed: 0, failed: 0, left: 0, stoppedEarly: false });
    expect(await spillIds()).toEqual([]);
    expect(await totals(id)).toEqual(exactly(30));
  });

  it('replays exactly once after a crash between applying and removing, with replayers racing', async () => {
    const id = tenant();
    const { usage } = dataPlane();
    proxy.setFaults(() => 'reset');
    for (const e of events(id, 20)) await usage.record(e);
    proxy.setFaults(undefined);
    // A replayer that crashed after applying half of the writes, before removing them.
    const crashed = functionStores();
    const ids = await spillIds();
    for (const spilledId of ids.slice(0, 10)) {
      const write = await crashed.usageSpill.get(spilledId);
      if (write === undefined) throw new Error(`${spilledId} is gone`);
      await crashed.usage.apply(write);
    }
    const halfway = await totals(id);

    await Promise.all([replayer().replay(), replayer().replay(), replayer().replay()]);

    expect(ids).toHaveLength(20);
    expect(halfway.requests).toBe(10);
    expect(await spillIds()).toEqual([]);
    expect(await totals(id)).toEqual(exactly(20));
  });

  it('keeps spilled writes as one JSON object each under spill/usage/, named by writer and number', async () => {
    const id = tenant();
    const { usage } = dataPlane();
    proxy.setFaults(() => 'reset');
    await usage.record(event(id, 1));
    proxy.setFaults(undefined);

    const [spilledId] = await spillIds();
    const object = await s3.client.send(
      new GetObjectCommand({
        Bucket: s3.bucket,
        Key: `${USAGE_SPILL_PREFIX}${spilledId}.json`,
      }),
    );
    const body: unknown = JSON.parse((await object.Body?.transformToString()) ?? '');
    await replayer().replay();

    expect(spilledId).toMatch(/^[0-9a-f]{12}\.\d+-\d+$/);
    expect(body).toEqual({
      format: 1,
      writer: spilledId?.replace(/-\d+$/, ''),
      sequence: Number(spilledId?.replace(/^.*-/, '')),
      event: { ...event(id, 1), at: '2026-11-15T10:00:00.000Z' },
    });
    expect(await totals(id)).toEqual(exactly(1));
  });

  it('leaves a spilled object it cannot read in place, reports it, and replays the others', async () => {
    const id = tenant();
    const { usage } = dataPlane();
    proxy.setFaults(() => 'reset');
    for (const e of events(id, 3)) await usage.record(e);
    proxy.setFaults(undefined);
    const corrupt = `${USAGE_SPILL_PREFIX}0123456789ab.0-1.json`;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: corrupt, Body: '{"format":1}' }));
    const failures: string[] = [];

    const stores = functionStores();
    const report = await new UsageReplayer({
      store: stores.usage,
      spill: stores.usageSpill,
      onFailed: (failedId, error) => failures.push(`${failedId}: ${String(error)}`),
    }).replay();
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: corrupt }));

    expect(report).toEqual({ replayed: 3, failed: 1, left: 1, stoppedEarly: false });
    expect(failures).toEqual([
      expect.stringMatching(/^0123456789ab\.0-1: Error: spilled usage .* is not a usage write: writer/),
    ]);
    expect(await totals(id)).toEqual(exactly(3));
  });

  it('when the spill fails too, throws UsageLostError; the inference wiring logs the whole event and counts UsageLost', async () => {
    const id = tenant();
    const { stores } = dataPlane({ s3Endpoint: 'http://127.0.0.1:9' });
    const watch = watchForSecrets();
    const saved = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    let thrown: unknown;
    try {
      const metering = createDurableMetering({
        store: stores.usage,
        spill: stores.usageSpill,
        logger: new Logger({ serviceName: 'metering-test', logLevel: 'WARN' }),
        metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'metering-test' }),
      });
      proxy.setFaults(() => 'reset');
      const lost = event(id, 7);
      try {
        await metering.usage.record(lost);
      } catch (error) {
        thrown = error;
        metering.onUsageLost(lost, error);
      }
    } finally {
      process.env.POWERTOOLS_METRICS_DISABLED = saved;
      watch.stop();
    }
    const lines = watch
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line): unknown => JSON.parse(line));

    expect(thrown).toBeInstanceOf(UsageLostError);
    expect(thrown instanceof UsageLostError && thrown.writeError).toBeInstanceOf(UnavailableError);
    expect(thrown instanceof UsageLostError && thrown.event).toEqual(event(id, 7));
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'Usage record lost: neither written nor spilled',
        usage: { ...event(id, 7), at: '2026-11-15T10:00:00.000Z' },
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        [USAGE_METRICS.lost]: 1,
        service: 'metering-test',
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: METRICS_NAMESPACE })],
        }),
      }),
    );
  });
});
