import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE } from '../constants';
import type { InferenceMetrics } from '../inference/app';

/**
 * Powertools logger, metrics and tracer for one function. The tracer switches itself
 * off outside Lambda; `POWERTOOLS_METRICS_DISABLED` and `POWERTOOLS_LOG_LEVEL` tune the
 * rest from the environment.
 */
export function createObservability(serviceName: string, stage: string) {
  const logger = new Logger({ serviceName, persistentKeys: { stage } });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  const tracer = new Tracer({ serviceName });
  return { logger, metrics, tracer };
}

/** Per-model EMF metrics: latency, requests and errors with a `model` dimension. */
export function emfInferenceMetrics(metrics: Metrics): InferenceMetrics {
  return {
    record(model, latencyMs, error) {
      metrics.addDimension('model', model);
      metrics.addMetric('InferenceLatency', MetricUnit.Milliseconds, latencyMs);
      metrics.addMetric('InferenceRequests', MetricUnit.Count, 1);
      metrics.addMetric('InferenceErrors', MetricUnit.Count, error ? 1 : 0);
      metrics.publishStoredMetrics();
    },
  };
}
