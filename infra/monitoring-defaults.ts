import { Duration } from 'aws-cdk-lib';

/** Alarm thresholds of the platform. */
export interface AlarmThresholds {
  /** API 5xx responses, in percent of requests, over a 5-minute period. */
  readonly api5xxPercent: number;
  /** API p99 latency (ms) over a 5-minute period. */
  readonly apiP99LatencyMs: number;
  /** DynamoDB read + write throttle events in a 5-minute period. */
  readonly dynamoThrottleEvents: number;
  /** SageMaker `Invocation5XXErrors` of one endpoint in a 5-minute period. */
  readonly sagemaker5xxErrors: number;
  /** Usage writes spilled (the table refused them; the replay applies them) in a 5-minute period. */
  readonly usageSpilledEvents: number;
  /** Usage events neither written nor spilled (only in the logs) in a 5-minute period. */
  readonly usageLostEvents: number;
  /** Spilled writes left after every replay run of three 5-minute periods in a row. */
  readonly usageSpillBacklog: number;
  /** Failed invocations of the usage replay function over three 5-minute periods. */
  readonly usageReplayErrors: number;
}

export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  api5xxPercent: 1,
  apiP99LatencyMs: 5000,
  dynamoThrottleEvents: 1,
  sagemaker5xxErrors: 1,
  usageSpilledEvents: 1,
  usageLostEvents: 1,
  usageSpillBacklog: 1,
  usageReplayErrors: 1,
};

/** Period of every alarm and dashboard metric. */
export const MONITORING_PERIOD = Duration.minutes(5);

/**
 * The metrics the inference function publishes (Powertools EMF): one data point per
 * request with the dimension `model`, plus Powertools' default `service` dimension.
 */
export const INFERENCE_METRICS = {
  latency: 'InferenceLatency',
  requests: 'InferenceRequests',
  errors: 'InferenceErrors',
} as const;

/** Custom metric counting HTTP 429 answers (route throttling), from the access logs. */
export const API_THROTTLES_METRIC = 'ApiThrottledRequests';
