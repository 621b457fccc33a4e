import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Every function of the platform runs on this runtime... */
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;
/** ...on Graviton, which is cheaper per GB-second and fast for WASM SIMD. */
export const FUNCTION_ARCHITECTURE = Architecture.ARM_64;

/** API Gateway's integration timeout is 30 s; the function must finish (and answer) first. */
export const API_FUNCTION_TIMEOUT = Duration.seconds(28);

/** Namespace of the platform's Powertools (EMF) metrics. */
import { METRICS_NAMESPACE } from '../functions/constants';

export { METRICS_NAMESPACE };

/** How long function and access logs are kept. */
export const DEFAULT_LOG_RETENTION = RetentionDays.THREE_MONTHS;

export interface FunctionDefaultsInput {
  /** Powertools service name (`POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  readonly memorySize: number;
  readonly timeout: Duration;
}

/**
 * The secure, observable defaults of a platform function, as a pure function (like
 * aws-solutions-constructs' `DefaultLambdaFunctionProps`): pinned runtime and architecture,
 * active X-Ray tracing, Powertools settings and source maps. Callers add entry, role,
 * log group, bundling and their own environment.
 */
export function defaultFunctionProps(input: FunctionDefaultsInput): NodejsFunctionProps {
  return {
    runtime: FUNCTION_RUNTIME,
    architecture: FUNCTION_ARCHITECTURE,
    memorySize: input.memorySize,
    timeout: input.timeout,
    tracing: Tracing.ACTIVE,
    environment: {
      POWERTOOLS_SERVICE_NAME: input.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
    },
  };
}
