import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { USAGE_METRICS } from '../constants';
import type { AfterResponse } from '../core/after-response';
import { DeferredUsageRecorder } from '../core/metering/deferred-usage-recorder';
import { DurableUsageRecorder, UsageLostError } from '../core/metering/durable-usage-recorder';
import type { UsageEvent } from '../core/metering/types';
import type { UsageSpill } from '../core/metering/usage-spill';
import { type SequencedUsageStore, writeId } from '../core/metering/usage-write';
import type { AppLogger } from '../http/logger';

export interface DurableMeteringOptions {
  readonly store: SequencedUsageStore;
  readonly spill: UsageSpill;
  readonly logger: AppLogger;
  readonly metrics: Metrics;
  /**
   * Where usage writes go while the response is sent (see `DeferredUsageRecorder`); absent,
   * or while nothing drains it, every write is made before the response.
   */
  readonly afterResponse?: AfterResponse;
}

/**
 * The data plane's metering: usage writes retried, then spilled for the replay function,
 * each spill logged (warn) and counted (`UsageSpilled`); an event that could be neither
 * written nor spilled is logged in full at error level and counted (`UsageLost`), the last
 * resort from which an operator can still bill it. With `afterResponse`, the writes are made
 * after the response once something drains it, and reported the same way.
 *
 * @example
 * const metering = createDurableMetering({ store: usage, spill: usageSpill, logger, metrics });
 * new InferenceService({ usage: metering.usage, unconfirmed: metering.unconfirmed, onUsageLost: metering.onUsageLost, ... });
 */
export function createDurableMetering(options: DurableMeteringOptions) {
  const { logger, metrics } = options;
  const count = (name: string): void => {
    // A single metric is written at once, apart from the per-request metrics and their `model` dimension.
    metrics.singleMetric().addMetric(name, MetricUnit.Count, 1);
  };
  const durable = new DurableUsageRecorder({
    store: options.store,
    spill: options.spill,
    onSpilled: (write, error) => {
      logger.warn('Usage write spilled; the replay function will apply it', {
        spilledWrite: writeId(write),
        tenantId: write.event.tenantId,
        error,
      });
      count(USAGE_METRICS.spilled);
    },
  });
  const onUsageLost = (event: UsageEvent, error: unknown): void => {
    logger.error('Usage record lost: neither written nor spilled', {
      usage: { ...event, at: event.at.toISOString() },
      error,
      writeError: error instanceof UsageLostError ? error.writeError : undefined,
    });
    count(USAGE_METRICS.lost);
  };
  const usage =
    options.afterResponse === undefined
      ? durable
      : new DeferredUsageRecorder({ recorder: durable, afterResponse: options.afterResponse, onUsageLost });
  // Admit-and-meter writes of unknown outcome (`Limiter.admit`) go to the same spill, at once.
  return { usage, unconfirmed: durable, onUsageLost };
}
