import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

export interface SageMakerClientOptions {
  /** Endpoint override (the local endpoint server); the SDK's regional endpoint when absent. */
  readonly endpoint?: string;
  /**
   * How long one `InvokeEndpoint` call may take before it is abandoned (504).
   * @default 10 s: with the backend's retries of throttling, well within the function's 28 s
   */
  readonly timeoutMs?: number;
  /** @default 1 s */
  readonly connectionTimeoutMs?: number;
}

export const DEFAULT_SAGEMAKER_TIMEOUT_MS = 10_000;

/**
 * The SageMaker Runtime client of the inference function. Timeouts are explicit (the SDK
 * only warns on a request timeout by default) and the SDK does not retry: `SageMakerBackend`
 * retries throttling and unavailability itself and never retries a timeout.
 *
 * @example
 * const client = createSageMakerRuntimeClient({ endpoint: 'http://127.0.0.1:8081', timeoutMs: 2_000 });
 */
export function createSageMakerRuntimeClient(options: SageMakerClientOptions = {}): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({
    endpoint: options.endpoint,
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 1_000,
      requestTimeout: options.timeoutMs ?? DEFAULT_SAGEMAKER_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  });
}
