import { type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { bundlingOptions, REPO_ROOT, type ShippedPackages } from '../bundling';
import {
  API_FUNCTION_TIMEOUT,
  DEFAULT_LOG_RETENTION,
  defaultFunctionProps,
  FUNCTION_ARCHITECTURE,
} from '../lambda-defaults';
import { lambdaPlatforms, lockedPackages, packageTarballs } from '../native-packages';
import { Problems } from '../validation';

export interface PlatformFunctionProps {
  /** Entry file, relative to the repository root, e.g. `functions/inference/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  /** Powertools service name. */
  readonly serviceName: string;
  /**
   * Environment of the function; names come from `ENV` in `functions/constants.ts`.
   * @default none besides the Powertools settings
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 28 seconds (under API Gateway's 30 s integration timeout) */
  readonly timeout?: Duration;
  /**
   * Files copied next to the bundle (absolute paths).
   * @default none
   */
  readonly extraFiles?: readonly string[];
  /**
   * Packages with native code that esbuild cannot inline (e.g. `sharp`): left external and
   * shipped in the asset's `node_modules` with what they need at run time, at the lockfile's
   * versions, for the function's architecture and for linux-x64 (see `lambdaPlatforms`).
   * @default none
   */
  readonly nativePackages?: readonly string[];
  /** @default three months */
  readonly logRetention?: RetentionDays;
  /** What happens to the log group when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * A platform Lambda function: esbuild ESM bundle, Node.js 22 on arm64, X-Ray, its own log
 * group with retention, and its own role that holds nothing but what `grant*` calls give
 * it (no AWS managed policy: log writing is granted on its own log group only).
 */
export class PlatformFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  public constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    const problems = new Problems(`PlatformFunction ${id} props`);
    problems.check(props.entry.endsWith('.ts'), `entry must be a TypeScript file, got ${props.entry}`);
    problems.check(
      !path.isAbsolute(props.entry),
      `entry must be relative to the repository root, got ${props.entry}`,
    );
    const memorySize = props.memorySize ?? 512;
    problems.check(
      Number.isInteger(memorySize) && memorySize >= 128 && memorySize <= 10240,
      `memorySize must be an integer from 128 to 10240 MB, got ${memorySize}`,
    );
    problems.throwIfAny();

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.serviceName}`,
    });
    this.logGroup.grantWrite(this.role);

    const defaults = defaultFunctionProps({
      serviceName: props.serviceName,
      memorySize,
      timeout: props.timeout ?? API_FUNCTION_TIMEOUT,
    });
    this.function = new NodejsFunction(this, 'Function', {
      ...defaults,
      description: props.description,
      entry: path.join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...defaults.environment, ...props.environment },
      bundling: bundlingOptions({ extraFiles: props.extraFiles, packages: this.shippedPackages(props) }),
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The platform pins nodejs22.x: bundles are built with esbuild --target=node22 and the onnxruntime-web WASM runtime and every asset test run on Node 22; moving to a newer runtime is a deliberate upgrade with its own test run, not a drift.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active X-Ray tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions; every other statement of this role names its resources.',
    });
  }

  /**
   * The native packages' tarballs, checked against the lockfile on every synth but fetched
   * only when this stack is bundled (`cdk ls` and template-only synths skip bundling).
   */
  private shippedPackages(props: PlatformFunctionProps): ShippedPackages | undefined {
    const external = props.nativePackages ?? [];
    if (external.length === 0) return undefined;
    const locked = lockedPackages(external, lambdaPlatforms(FUNCTION_ARCHITECTURE));
    return { external, tarballs: Stack.of(this).bundlingRequired ? packageTarballs(locked) : [] };
  }
}
