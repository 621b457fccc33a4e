import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Config } from '../config';
import { SERVICE, USAGE_METRICS } from '../constants';
import { UsageReplayer } from '../core/metering/usage-replayer';
import { createObservability } from '../shared/observability';
import { createStores } from '../shared/stores';
import type { UsageReplayDeps, UsageReplayMetrics } from './replay';

/** Production wiring of the replay function: the composition root's default dependencies. */
export function createUsageReplayDeps(config: Config): UsageReplayDeps {
  const { logger, metrics, tracer } = createObservability(SERVICE.usageReplay, config.stage);
  const { usage, usageSpill } = createStores(config, tracer);
  return {
    logger,
    metrics: emfReplayMetrics(metrics),
    replayer: new UsageReplayer({
      store: usage,
      spill: usageSpill,
      onFailed: (id, error) =>
        logger.error('A spilled usage write could not be replayed', { spilledWrite: id, error }),
    }),
  };
}

/** One EMF record per run: replayed, failed and left (the backlog the alarm watches). */
function emfReplayMetrics(metrics: Metrics): UsageReplayMetrics {
  return {
    record(report) {
      metrics.addMetric(USAGE_METRICS.replayed, MetricUnit.Count, report.replayed);
      metrics.addMetric(USAGE_METRICS.replayFailed, MetricUnit.Count, report.failed);
      metrics.addMetric(USAGE_METRICS.spillBacklog, MetricUnit.Count, report.left);
      metrics.publishStoredMetrics();
    },
  };
}
