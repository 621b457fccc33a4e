import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Stack } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  FilterPattern,
  type ILogGroup,
  MetricFilter,
  QueryDefinition,
  QueryString,
} from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SERVICE, USAGE_METRICS } from '../../functions/constants';
import { METRICS_NAMESPACE } from '../lambda-defaults';
import {
  type AlarmThresholds,
  API_THROTTLES_METRIC,
  DEFAULT_ALARM_THRESHOLDS,
  INFERENCE_METRICS,
  MONITORING_PERIOD,
} from '../monitoring-defaults';
import { Problems } from '../validation';
import type { GpuEndpoint } from './gpu-endpoint';
import type { PlatformHttpApi } from './http-api';

export interface MonitoringProps {
  readonly api: PlatformHttpApi;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly table: ITable;
  /** Log groups of the request-serving functions (for the saved per-tenant query). */
  readonly functionLogGroups: readonly ILogGroup[];
  /** @default none */
  readonly endpoints?: readonly GpuEndpoint[];
  /** Models that get their own widgets, by name. @default none */
  readonly showcaseModels?: readonly string[];
  /** Key of the alarm topic; CloudWatch is allowed to use it. */
  readonly encryptionKey: IKey;
  /** Subscribed to the alarm topic when given. @default no subscription */
  readonly alarmEmail?: string;
  /** @default DEFAULT_ALARM_THRESHOLDS */
  readonly thresholds?: Partial<AlarmThresholds>;
  /**
   * The usage replay function: an alarm on its errors, since a replay that cannot run
   * publishes no backlog to alarm on.
   * @default no alarm on replay errors
   */
  readonly usageReplay?: IFunction;
}

/**
 * The platform's dashboard and alarms. Alarms notify an SNS topic encrypted with the
 * platform key, which only accepts TLS publishers, and optionally mail an operator.
 */
export class Monitoring extends Construct {
  public readonly topic: Topic;
  public readonly dashboard: Dashboard;
  public readonly alarms: Alarm[] = [];
  /** Logs Insights query: each request with its key id and tenant id (access logs cannot carry them). */
  public readonly requestsQuery: QueryDefinition;

  public constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const thresholds: AlarmThresholds = { ...DEFAULT_ALARM_THRESHOLDS, ...props.thresholds };
    validate(id, props, thresholds);

    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Infergate alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // CloudWatch publishes alarm notifications into the encrypted topic.
    props.encryptionKey.grant(
      new ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    const api = props.api.api;
    const period = MONITORING_PERIOD;
    new MetricFilter(this, 'ThrottledRequests', {
      logGroup: props.api.accessLogs,
      filterPattern: FilterPattern.numberValue('$.status', '=', 429),
      metricNamespace: METRICS_NAMESPACE,
      metricName: API_THROTTLES_METRIC,
      metricValue: '1',
      defaultValue: 0,
    });
    this.requestsQuery = new QueryDefinition(this, 'RequestsByTenant', {
      queryDefinitionName: `${Stack.of(this).stackName}/requests-by-key-and-tenant`,
      logGroups: [...props.functionLogGroups],
      queryString: new QueryString({
        fields: ['@timestamp', 'requestId', 'tenantId', 'keyId', 'method', 'route', 'status', 'latencyMs'],
        filterStatements: ['message = "request"'],
        sort: '@timestamp desc',
        limit: 200,
      }),
    });

    const apiRequests = api.metricCount({ period, statistic: 'Sum', label: 'requests' });
    const api4xx = api.metricClientError({ period, statistic: 'Sum', label: '4xx' });
    const api5xx = api.metricServerError({ period, statistic: 'Sum', label: '5xx' });
    const apiThrottles = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: API_THROTTLES_METRIC,
      period,
      statistic: 'Sum',
      label: 'throttled (429)',
    });
    const api5xxRate = new MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests: apiRequests, errors: api5xx },
      period,
      label: '5xx % of requests',
    });

    const alarm = (
      alarmId: string,
      metric: IMetric,
      threshold: number,
      description: string,
      periods = 3,
    ): Alarm => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: Math.min(2, periods),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    alarm(
      'Api5xxRate',
      api5xxRate,
      thresholds.api5xxPercent,
      `API 5xx responses at or above ${thresholds.api5xxPercent}% of requests`,
    );
    alarm(
      'ApiLatencyP99',
      api.metricLatency({ period, statistic: 'p99' }),
      thresholds.apiP99LatencyMs,
      `API p99 latency at or above ${thresholds.apiP99LatencyMs} ms`,
    );
    const tableThrottles = new MathExpression({
      expression: 'FILL(reads, 0) + FILL(writes, 0)',
      usingMetrics: {
        reads: props.table.metric('ReadThrottleEvents', { period, statistic: 'Sum' }),
        writes: props.table.metric('WriteThrottleEvents', { period, statistic: 'Sum' }),
      },
      period,
      label: 'throttle events',
    });
    alarm(
      'TableThrottles',
      tableThrottles,
      thresholds.dynamoThrottleEvents,
      'DynamoDB throttled reads or writes',
      1,
    );
    for (const endpoint of props.endpoints ?? []) {
      alarm(
        `${endpoint.node.id}5xx`,
        sagemakerMetric(endpoint, 'Invocation5XXErrors', 'Sum'),
        thresholds.sagemaker5xxErrors,
        `SageMaker endpoint ${endpoint.endpointName} answered 5xx`,
        1,
      );
    }

    // Metering: nothing lost, nothing counted twice (docs/architecture.md, "Metering that loses nothing").
    const usageMetric = (metricName: string, service: string, statistic: string, label: string): Metric =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        period,
        statistic,
        label,
      });
    const usageSpilled = usageMetric(USAGE_METRICS.spilled, SERVICE.inference, 'Sum', 'spilled');
    const usageLost = usageMetric(USAGE_METRICS.lost, SERVICE.inference, 'Sum', 'lost');
    alarm(
      'UsageLost',
      usageLost,
      thresholds.usageLostEvents,
      'Usage events lost: neither written to the table nor spilled to S3; each is logged in full ("Usage record lost") in the inference logs, bill it from there',
      1,
    );
    alarm(
      'UsageSpilled',
      usageSpilled,
      thresholds.usageSpilledEvents,
      'Usage writes spilled to S3 (spill/usage/) because the table refused them; the usage replay function applies them within minutes',
      1,
    );
    alarm(
      'UsageSpillBacklog',
      usageMetric(USAGE_METRICS.spillBacklog, SERVICE.usageReplay, 'Minimum', 'spill backlog'),
      thresholds.usageSpillBacklog,
      'Spilled usage writes are not draining: every replay run left some for 10 of the last 15 minutes (see UsageReplayFailed and the replay function logs)',
      3,
    );
    if (props.usageReplay !== undefined) {
      alarm(
        'UsageReplayErrors',
        props.usageReplay.metricErrors({ period, statistic: 'Sum' }),
        thresholds.usageReplayErrors,
        'The usage replay function fails (it cannot list the spill): spilled usage is not applied',
        3,
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard');
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Infergate\nRequests and errors of the API as a whole, per model (showcase models and every model by search), of the functions, the table and the GPU endpoints. Per-request key and tenant ids are in the function logs: run the saved Logs Insights query *requests-by-key-and-tenant* and join on the access log `requestId`.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('API requests', [apiRequests]),
      graph('API errors and throttles', [api4xx, api5xx, apiThrottles]),
      graph('API latency (ms)', [
        api.metricLatency({ period, statistic: 'p50', label: 'p50' }),
        api.metricLatency({ period, statistic: 'p99', label: 'p99' }),
        api.metricIntegrationLatency({ period, statistic: 'p99', label: 'integration p99' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Inference requests by model', [search(INFERENCE_METRICS.requests, 'Sum')]),
      graph('Inference errors by model', [search(INFERENCE_METRICS.errors, 'Sum')]),
      graph('Inference p99 latency by model (ms)', [search(INFERENCE_METRICS.latency, 'p99')]),
    );
    for (const model of props.showcaseModels ?? []) {
      this.dashboard.addWidgets(
        graph(`${model}: requests and errors`, [
          modelMetric(INFERENCE_METRICS.requests, model, 'Sum'),
          modelMetric(INFERENCE_METRICS.errors, model, 'Sum'),
        ]),
        graph(`${model}: latency (ms)`, [
          modelMetric(INFERENCE_METRICS.latency, model, 'p50'),
          modelMetric(INFERENCE_METRICS.latency, model, 'p99'),
        ]),
      );
    }
    const functions = Object.entries(props.functions);
    this.dashboard.addWidgets(
      graph(
        'Lambda invocations and errors',
        functions.flatMap(([name, fn]) => [
          fn.metricInvocations({ period, label: `${name} invocations` }),
          fn.metricErrors({ period, label: `${name} errors` }),
        ]),
      ),
      graph(
        'Lambda throttles',
        functions.map(([name, fn]) => fn.metricThrottles({ period, label: name })),
      ),
      graph(
        'Lambda p99 duration (ms)',
        functions.map(([name, fn]) => fn.metricDuration({ period, statistic: 'p99', label: name })),
      ),
    );
    this.dashboard.addWidgets(
      graph('DynamoDB consumed capacity', [
        props.table.metricConsumedReadCapacityUnits({ period, statistic: 'Sum', label: 'read units' }),
        props.table.metricConsumedWriteCapacityUnits({ period, statistic: 'Sum', label: 'write units' }),
      ]),
      graph('DynamoDB throttles', [tableThrottles]),
      graph('Metering: usage writes spilled, lost, replayed', [
        usageSpilled,
        usageLost,
        usageMetric(USAGE_METRICS.replayed, SERVICE.usageReplay, 'Sum', 'replayed'),
        usageMetric(USAGE_METRICS.replayFailed, SERVICE.usageReplay, 'Sum', 'replay failed'),
        usageMetric(USAGE_METRICS.spillBacklog, SERVICE.usageReplay, 'Maximum', 'spill backlog'),
      ]),
    );
    for (const endpoint of props.endpoints ?? []) {
      this.dashboard.addWidgets(
        graph(`${endpoint.endpointName}: invocations and errors`, [
          sagemakerMetric(endpoint, 'Invocations', 'Sum'),
          sagemakerMetric(endpoint, 'Invocation4XXErrors', 'Sum'),
          sagemakerMetric(endpoint, 'Invocation5XXErrors', 'Sum'),
        ]),
        graph(`${endpoint.endpointName}: model latency (µs)`, [
          sagemakerMetric(endpoint, 'ModelLatency', 'p50'),
          sagemakerMetric(endpoint, 'ModelLatency', 'p99'),
        ]),
        graph(`${endpoint.endpointName}: GPU utilization (%)`, [
          new Metric({
            namespace: '/aws/sagemaker/Endpoints',
            metricName: 'GPUUtilization',
            dimensionsMap: { EndpointName: endpoint.endpointName, VariantName: endpoint.variantName },
            period,
            statistic: 'Average',
          }),
        ]),
      );
    }
  }
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 8, height: 6 });
}

function modelMetric(metricName: string, model: string, statistic: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE.inference, model },
    period: MONITORING_PERIOD,
    statistic,
    label: `${metricName} ${statistic}`,
  });
}

/** One line per model, including models registered after deployment. */
function search(metricName: string, statistic: string): MathExpression {
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},model,service} MetricName="${metricName}"', '${statistic}', ${MONITORING_PERIOD.toSeconds()})`,
    usingMetrics: {},
    label: '',
    period: MONITORING_PERIOD,
  });
}

function sagemakerMetric(endpoint: GpuEndpoint, metricName: string, statistic: string): Metric {
  return new Metric({
    namespace: 'AWS/SageMaker',
    metricName,
    dimensionsMap: { EndpointName: endpoint.endpointName, VariantName: endpoint.variantName },
    period: MONITORING_PERIOD,
    statistic,
    label: `${metricName} ${statistic}`,
  });
}

function validate(id: string, props: MonitoringProps, thresholds: AlarmThresholds): void {
  const problems = new Problems(`Monitoring ${id} props`);
  for (const [name, value] of Object.entries(thresholds)) {
    problems.check(
      Number.isFinite(value) && value > 0,
      `thresholds.${name} must be a positive number, got ${value}`,
    );
  }
  const models = props.showcaseModels ?? [];
  problems.check(new Set(models).size === models.length, 'showcaseModels must not repeat a name');
  problems.check(
    props.alarmEmail === undefined || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.alarmEmail),
    `alarmEmail must be an e-mail address, got ${props.alarmEmail}`,
  );
  problems.throwIfAny();
}
