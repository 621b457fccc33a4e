import type { UsageReplayer, UsageReplayReport } from '../core/metering/usage-replayer';
import type { AppLogger } from '../http/logger';

/** Metrics of a replay run (Powertools EMF in Lambda). */
export interface UsageReplayMetrics {
  record(report: UsageReplayReport): void;
}

export interface UsageReplayDeps {
  readonly replayer: Pick<UsageReplayer, 'replay'>;
  readonly logger: AppLogger;
  readonly metrics?: UsageReplayMetrics;
}

/**
 * The replay function: one pass over the spill of usage writes per invocation (an
 * EventBridge schedule in AWS, an interval in the local platform). The event carries
 * nothing the pass needs. A pass that cannot list the spill throws, so the invocation
 * counts as a Lambda error.
 *
 * @example
 * export const handler = createUsageReplayHandler(createUsageReplayDeps(loadConfig(process.env)));
 */
export function createUsageReplayHandler(
  deps: UsageReplayDeps,
): (event?: unknown) => Promise<UsageReplayReport> {
  return async () => {
    const report = await deps.replayer.replay();
    deps.metrics?.record(report);
    if (report.failed > 0) deps.logger.warn('Usage replay left writes it could not apply', { ...report });
    else if (report.replayed > 0) deps.logger.info('Usage replay applied spilled writes', { ...report });
    return report;
  };
}
