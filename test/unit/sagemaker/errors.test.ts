import {
  InternalDependencyException,
  ModelError,
  ModelNotReadyException,
  ServiceUnavailable,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { invokeFailureKind, translateInvokeError } from '../../../functions/adapters/sagemaker/errors';
import { InfergateError } from '../../../functions/core/errors';

const target = { endpointName: 'infergate-test-gpu', targetModel: `${'a'.repeat(64)}.tar.gz` };
const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode }, Message: 'm' });

function modelError(
  status: number,
  original: string,
  message = `Received error (${status}) from primary`,
): ModelError {
  return new ModelError({
    ...metadata(424),
    message,
    OriginalStatusCode: status,
    OriginalMessage: original,
  });
}

function translated(error: unknown): InfergateError {
  const result = translateInvokeError(error, target);
  if (!(result instanceof InfergateError)) throw new Error(`not translated: ${String(result)}`);
  return result;
}

describe('InvokeEndpoint failures', () => {
  it('maps the model’s own errors: 4xx to 400 with Triton’s message, others to 502, timeouts to 504', () => {
    const invalid = translated(modelError(400, '{"error":"unexpected shape for input \'x\'"}'));
    const failed = translated(modelError(500, '{"error":"CUDA error: out of memory"}'));
    const plain = translated(modelError(503, 'upstream died\n  at line 3'));
    const empty = translated(modelError(500, ''));
    const slow = translated(
      modelError(0, '', 'Your invocation timed out while waiting for a response from container primary.'),
    );

    expect([invalid.status, invalid.code, invalid.message]).toEqual([
      400,
      'inference_failed',
      "the model cannot run on these inputs: unexpected shape for input 'x'",
    ]);
    expect([failed.status, failed.code, failed.message]).toEqual([
      502,
      'model_error',
      'The model failed: CUDA error: out of memory',
    ]);
    expect(plain.message).toBe('The model failed: upstream died at line 3');
    expect(empty.message).toContain('without a message');
    expect([slow.status, slow.code]).toEqual([504, 'endpoint_timeout']);
  });

  it('maps throttling and unavailability to 503 with Retry-After, which are the only failures retried', () => {
    const throttled = [
      new ModelNotReadyException({ ...metadata(429), message: 'not ready' }),
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', ...metadata(429) }),
    ];
    const unavailable = [
      new ServiceUnavailable({ ...metadata(503), message: 'down' }),
      new InternalDependencyException({ ...metadata(530), message: 'dependency' }),
      new ValidationError({ ...metadata(400), message: 'Endpoint x of account 123456789012 not found.' }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
        name: 'TimeoutError',
        code: 'ECONNREFUSED',
      }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      Object.assign(
        new Error('the request socket did not establish a connection with the server within 1000 ms.'),
        {
          name: 'TimeoutError',
        },
      ),
    ];

    for (const error of throttled) {
      expect(invokeFailureKind(error)).toBe('throttled');
      const result = translated(error);
      expect([result.status, result.code, result.headers['retry-after']]).toEqual([
        503,
        'endpoint_throttled',
        '1',
      ]);
    }
    for (const error of unavailable) {
      expect(invokeFailureKind(error)).toBe('unavailable');
      const result = translated(error);
      expect([result.status, result.code, result.headers['retry-after']]).toEqual([
        503,
        'endpoint_unavailable',
        '5',
      ]);
      expect(result.message).not.toContain('123456789012');
    }
  });

  it('maps an inference component without a copy (scaled to zero) to 503 endpoint_scaling with a cold-start Retry-After, not retried', () => {
    const error = new ValidationError({
      ...metadata(400),
      message:
        'Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API.',
    });

    expect(invokeFailureKind(error)).toBe('scaling');
    const result = translateInvokeError(error, {
      endpointName: 'infergate-test-gpu',
      inferenceComponent: 'infergate-test-gpu-ic',
    });
    if (!(result instanceof InfergateError)) throw new Error('not translated');
    expect([result.status, result.code, result.headers['retry-after']]).toEqual([
      503,
      'endpoint_scaling',
      '180',
    ]);
    expect(result.message).not.toContain('infergate-test-gpu');
    expect(String((result.cause as Error).message)).toContain('InferenceComponentName infergate-test-gpu-ic');
  });

  it('maps a response SageMaker could not return (over its 6 MB) to 502 response_too_large, not retried', () => {
    const tooLarge = new ModelError({
      ...metadata(424),
      message:
        'Received server error (500) from primary and could not load the entire response body. See arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/infergate-test-gpu in account for more information.',
      OriginalStatusCode: 500,
    });

    const result = translated(tooLarge);

    expect(invokeFailureKind(tooLarge)).toBe('model');
    expect([result.status, result.code]).toEqual([502, 'response_too_large']);
    expect(result.message).toBe(
      "The model's answer is larger than the 6 MB a GPU endpoint can return; send fewer rows or ask for fewer outputs",
    );
    expect(result.cause).toBeInstanceOf(Error);
  });

  it('maps the client’s request timeout to 504, not retried', () => {
    const timeout = Object.assign(
      new Error('a request has exceeded the configured 1000 ms requestTimeout.'),
      {
        name: 'TimeoutError',
        code: 'ETIMEDOUT',
      },
    );

    expect(invokeFailureKind(timeout)).toBe('timeout');
    expect([translated(timeout).status, translated(timeout).code]).toEqual([504, 'endpoint_timeout']);
  });

  it('returns anything else as it is (a plain 500)', () => {
    const denied = Object.assign(new Error('not authorized to perform sagemaker:InvokeEndpoint'), {
      name: 'AccessDeniedException',
      ...metadata(403),
    });

    expect(invokeFailureKind(denied)).toBe('other');
    expect(translateInvokeError(denied, target)).toBe(denied);
  });
});
