import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionName, RouteSpec } from '../../functions/routes';
import { accessLogFormat, DEFAULT_THROTTLE } from '../api-defaults';
import { DEFAULT_LOG_RETENTION } from '../lambda-defaults';
import { Problems } from '../validation';

export interface PlatformHttpApiProps {
  /** Every route of the platform and the function serving it (`ROUTES`). */
  readonly routes: readonly RouteSpec[];
  /** The functions, by name. */
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
  /** The function answering every other request (`$default`), with the platform's 404/405. */
  readonly defaultFunction: FunctionName;
  /** @default DEFAULT_THROTTLE */
  readonly throttle?: ThrottleSettings;
  /** @default three months */
  readonly accessLogRetention?: RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
}

/**
 * The platform's HTTP API: one route per `ROUTES` entry, `$default` for the rest, one
 * `$default` stage with route throttling and JSON access logs. There is deliberately no
 * API Gateway authorizer: keys are checked inside the functions (see docs/deploy.md).
 */
export class PlatformHttpApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;
  /** The API's base URL (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: PlatformHttpApiProps) {
    super(scope, id);
    validate(id, props);

    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationFor = (name: FunctionName): HttpLambdaIntegration => {
      const existing = integrations.get(name);
      if (existing !== undefined) return existing;
      const created = new HttpLambdaIntegration(`${capitalize(name)}Integration`, props.functions[name], {
        // One invoke permission for the whole API instead of one per route.
        scopePermissionToRoute: false,
      });
      integrations.set(name, created);
      return created;
    };

    this.api = new HttpApi(this, 'Api', {
      description: 'Infergate: Open Inference Protocol data plane and control plane',
      createDefaultStage: false,
      defaultIntegration: integrationFor(props.defaultFunction),
    });
    for (const route of props.routes) {
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrationFor(route.fn),
      });
    }

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: props.accessLogRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? DEFAULT_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(accessLogFormat()),
      },
    });
    this.url = this.stage.url;

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Infergate authenticates API keys inside the functions (SHA-256 lookup in the registry, cached for at most 60 s) so that a request costs one Lambda invoke, not two; the public health and metadata routes need no key. See docs/deploy.md, "Why authorization runs inside the functions".',
    });
  }
}

function validate(id: string, props: PlatformHttpApiProps): void {
  const problems = new Problems(`PlatformHttpApi ${id} props`);
  const seen = new Set<string>();
  for (const route of props.routes) {
    const key = `${route.method} ${route.path}`;
    problems.check(route.path.startsWith('/'), `route ${key}: path must start with /`);
    problems.check(!seen.has(key), `route ${key} appears twice`);
    problems.check(route.fn in props.functions, `route ${key}: no function named ${route.fn}`);
    seen.add(key);
  }
  problems.check(
    props.defaultFunction in props.functions,
    `defaultFunction ${props.defaultFunction} is not a function`,
  );
  const throttle = props.throttle ?? DEFAULT_THROTTLE;
  problems.check((throttle.rateLimit ?? 1) > 0, 'throttle.rateLimit must be positive');
  problems.check((throttle.burstLimit ?? 1) > 0, 'throttle.burstLimit must be positive');
  problems.throwIfAny();
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
