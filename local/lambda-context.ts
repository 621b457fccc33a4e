import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { pooledRandomBytes } from './random-ids';

/** What a local invocation knows about the function it runs. */
export interface LambdaContextOptions {
  /** The deployed function's name, e.g. `infergate-inference`. */
  readonly functionName: string;
  /** The function's timeout; `getRemainingTimeInMillis()` counts down from it. */
  readonly timeoutMs: number;
  /** @default 1024 */
  readonly memoryLimitInMB?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default a new UUID, as Lambda makes one per invocation */
  readonly awsRequestId?: string;
  /** Epoch milliseconds when the invocation started. @default Date.now() */
  readonly startedAt?: number;
  /**
   * Lambda names a log stream per execution environment, so a warm function keeps it
   * across invocations. @default a new name (see `newLogStreamName`)
   */
  readonly logStreamName?: string;
}

/**
 * The `Context` Lambda's Node.js runtime passes to a handler, for a local invocation.
 * The deprecated `done`/`fail`/`succeed` throw: the platform's handlers are async and
 * answer by returning or throwing.
 *
 * @example
 * const context = createLambdaContext({ functionName: 'infergate-admin', timeoutMs: 30_000 });
 * context.getRemainingTimeInMillis(); // <= 30000
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}`);
  const startedAt = options.startedAt ?? Date.now();
  const deadline = startedAt + options.timeoutMs;
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const { functionName } = options;
  const legacy = (name: string) => (): never => {
    throw new Error(`context.${name}() is not supported locally: return or throw from the async handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: options.logStreamName ?? newLogStreamName(startedAt),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: legacy('done'),
    fail: legacy('fail'),
    succeed: legacy('succeed'),
  };
}

/** `2024/05/01/[$LATEST]0123456789abcdef0123456789abcdef`, as Lambda names log streams. */
export function newLogStreamName(epochMs: number = Date.now()): string {
  const day = new Date(epochMs).toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${pooledRandomBytes(16).toString('hex')}`;
}
