import { BadRequestError, InfergateError, UnavailableError } from '../../core/errors';
import { field, isNetworkError, text } from '../sdk-errors';

/**
 * Translation of SageMaker Runtime `InvokeEndpoint` failures into the platform's errors,
 * matched by name, code and fields so that any copy of the SDK is recognised:
 *
 * | failure | answer |
 * | --- | --- |
 * | `ModelError` whose container answered 4xx (Triton: the inputs do not fit the model) | 400 `inference_failed`, Triton's message |
 * | `ModelError` whose container timed out (SageMaker's 60 s) | 504 `endpoint_timeout` |
 * | `ModelError` for a response SageMaker could not return (over its 6 MB) | 502 `response_too_large` |
 * | any other `ModelError` (the container answered 5xx) | 502 `model_error`, the model's message |
 * | throttling: `ThrottlingException`, `ModelNotReadyException`, HTTP 429 | 503 `endpoint_throttled`, `Retry-After: 1` |
 * | the endpoint is unavailable: `ServiceUnavailable`, `InternalFailure`, `InternalDependencyException`, 5xx, a refused or reset connection, a connect timeout | 503 `endpoint_unavailable`, `Retry-After: 5` |
 * | an inference component with no copy (scaled to zero, or scaling out): `ValidationError` "Inference Component has no capacity to process this request" | 503 `endpoint_scaling`, `Retry-After: 180`, not retried |
 * | the endpoint or model does not exist (any other `ValidationError`) | 503 `endpoint_unavailable`, `Retry-After: 5` |
 * | no answer within the client's request timeout | 504 `endpoint_timeout` |
 *
 * Anything else (for example `AccessDeniedException`, a deployment bug) is returned as it
 * is and answered with a plain 500.
 */

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ModelNotReadyException',
  'TooManyRequestsException',
]);
const UNAVAILABLE_NAMES = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalDependencyException',
  'InternalServerError',
]);

/**
 * SageMaker's words when the container's response is more than it returns (6 MB on a
 * real-time endpoint): "Received server error (500) from primary and could not load the
 * entire response body. See … for more information." (as reported, for example, in
 * aws/amazon-sagemaker-examples#4324; the local endpoint server answers the same).
 */
const RESPONSE_TOO_LARGE = /could not load the entire response body/i;

/**
 * SageMaker's words when an inference component has no copy to take the invocation (it
 * scaled to zero, or is scaling out): "Inference Component has no capacity to process this
 * request. ApplicationAutoScaling may be in-progress (if configured) or try to increase the
 * capacity by invoking UpdateInferenceComponentRuntimeConfig API." (a `ValidationError`,
 * HTTP 400). Each such invocation counts in `NoCapacityInvocationFailures`, which wakes the
 * component; the local endpoint server answers the same.
 */
const NO_CAPACITY = /inference component has no capacity/i;

export const THROTTLED_RETRY_AFTER_SECONDS = 1;
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
/**
 * A component scaling out from zero: the alarm (1 minute), a new GPU instance (about 2) and
 * loading the model (1 to 2) take minutes; SageMaker documents "several minutes". Clients
 * come back in three, when a copy is likely to serve them.
 */
export const SCALING_RETRY_AFTER_SECONDS = 180;

/** The kind of a failure, which decides whether to retry it. */
export type InvokeFailureKind = 'model' | 'throttled' | 'scaling' | 'unavailable' | 'timeout' | 'other';

/** What one failed `InvokeEndpoint` call was about, for messages. */
export interface InvokeTarget {
  readonly endpointName: string;
  /** The archive on a multi-model endpoint. */
  readonly targetModel?: string;
  /** The inference component on a component-based endpoint. */
  readonly inferenceComponent?: string;
}

/**
 * Classifies an `InvokeEndpoint` failure. Only `throttled` and `unavailable` are worth a
 * retry: `scaling` lasts minutes.
 */
export function invokeFailureKind(error: unknown): InvokeFailureKind {
  const name = text(error, 'name');
  if (name === 'ModelError') return 'model';
  if (name === 'ValidationError' && NO_CAPACITY.test(text(error, 'message'))) return 'scaling';
  if (isRequestTimeout(error)) return 'timeout';
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  if (THROTTLING_NAMES.has(name) || status === 429) return 'throttled';
  if (
    UNAVAILABLE_NAMES.has(name) ||
    name === 'ValidationError' ||
    (typeof status === 'number' && status >= 500) ||
    isNetworkError(error) ||
    isConnectTimeout(error)
  ) {
    return 'unavailable';
  }
  return 'other';
}

/**
 * The error to throw for a failed `InvokeEndpoint` call (see the table above).
 *
 * @example
 * try {
 *   return await client.send(new InvokeEndpointCommand(input));
 * } catch (error) {
 *   throw translateInvokeError(error, { endpointName, targetModel });
 * }
 */
export function translateInvokeError(error: unknown, target: InvokeTarget): unknown {
  // Tenants see no infrastructure names; the endpoint and archive are in the cause, for logs.
  const cause = { cause: new InvokeEndpointFailure(target, error) };
  switch (invokeFailureKind(error)) {
    case 'model': {
      const original = field(error, 'OriginalStatusCode');
      const message = modelMessage(error);
      if (RESPONSE_TOO_LARGE.test(text(error, 'message'))) {
        return new InfergateError(
          502,
          'response_too_large',
          "The model's answer is larger than the 6 MB a GPU endpoint can return; send fewer rows or ask for fewer outputs",
          cause,
        );
      }
      if (/timed out/i.test(text(error, 'message'))) {
        return new InfergateError(
          504,
          'endpoint_timeout',
          'The model did not answer in time on its GPU endpoint',
          cause,
        );
      }
      if (typeof original === 'number' && original >= 400 && original < 500) {
        const text = /^the model cannot run on these inputs/i.test(message)
          ? message
          : `the model cannot run on these inputs: ${message}`;
        return new BadRequestError('inference_failed', text, cause);
      }
      return new InfergateError(502, 'model_error', `The model failed: ${message}`, cause);
    }
    case 'timeout':
      return new InfergateError(504, 'endpoint_timeout', 'The GPU endpoint did not answer in time', cause);
    case 'throttled':
      return new UnavailableError('endpoint_throttled', "The model's GPU endpoint is busy; retry later", {
        ...cause,
        retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS,
      });
    case 'scaling':
      return new UnavailableError(
        'endpoint_scaling',
        "The model's GPU endpoint scaled to zero while idle and is starting a GPU instance, which takes a few minutes; retry later",
        { ...cause, retryAfterSeconds: SCALING_RETRY_AFTER_SECONDS },
      );
    case 'unavailable':
      return new UnavailableError(
        'endpoint_unavailable',
        "The model's GPU endpoint is unavailable; retry later",
        {
          ...cause,
          retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
        },
      );
    case 'other':
      return error;
  }
}

/** A failed `InvokeEndpoint` call, kept as the cause of the platform's error: logged, never answered. */
export class InvokeEndpointFailure extends Error {
  public readonly target: InvokeTarget;

  public constructor(target: InvokeTarget, error: unknown) {
    super(
      `InvokeEndpoint ${target.endpointName} (${
        target.inferenceComponent === undefined
          ? `TargetModel ${target.targetModel ?? '?'}`
          : `InferenceComponentName ${target.inferenceComponent}`
      }) failed: ${text(error, 'name') || 'Error'}: ${text(error, 'message')}`,
      { cause: error },
    );
    this.name = 'InvokeEndpointFailure';
    this.target = target;
  }
}

/**
 * The container's own message: Triton answers `{"error": "..."}`, which SageMaker passes
 * on as `OriginalMessage`. Capped, and never the SDK's wrapper text.
 */
function modelMessage(error: unknown): string {
  const original = text(error, 'OriginalMessage');
  let message = original;
  try {
    const parsed: unknown = JSON.parse(original);
    const inner = text(parsed, 'error');
    if (inner !== '') message = inner;
  } catch {
    // not JSON: the container's text as it is
  }
  message = message.replace(/\s+/g, ' ').trim();
  if (message === '') message = 'the model server answered an error without a message';
  return message.length > 500 ? `${message.slice(0, 497)}...` : message;
}

/** The client's `requestTimeout` fired: the request was sent and no answer came. */
function isRequestTimeout(error: unknown): boolean {
  return (
    text(error, 'name') === 'TimeoutError' &&
    (text(error, 'code') === 'ETIMEDOUT' || /requestTimeout|socket timed out/.test(text(error, 'message')))
  );
}

/** No connection within `connectionTimeout`: nothing was sent, so the endpoint is not there. */
function isConnectTimeout(error: unknown): boolean {
  return (
    text(error, 'name') === 'TimeoutError' && /did not establish a connection/.test(text(error, 'message'))
  );
}
