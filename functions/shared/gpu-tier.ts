import type { Tracer } from '@aws-lambda-powertools/tracer';
import { createSageMakerRuntimeClient, SageMakerBackend } from '../adapters/sagemaker';
import type { Config } from '../config';
import type { InferenceBackend } from '../core/inference/backend';

/**
 * The `sagemaker` tier of the inference function, when the deployment has GPU endpoints:
 * one traced SageMaker Runtime client (the local endpoint server through the endpoint
 * override, or SageMaker in AWS) and the backend that calls it. None without endpoints.
 */
export function createGpuBackends(config: Config, tracer: Tracer): { sagemaker?: InferenceBackend } {
  const endpoints = config.sagemakerEndpoints ?? [];
  if (endpoints.length === 0) return {};
  const client = createSageMakerRuntimeClient({
    endpoint: config.sagemakerEndpoint,
    timeoutMs: config.sagemakerTimeoutMs,
  });
  return {
    sagemaker: new SageMakerBackend({
      client: tracer.captureAWSv3Client(client),
      endpoints: new Set(endpoints.map((endpoint) => endpoint.endpointName)),
      components: new Set(endpoints.flatMap((endpoint) => endpoint.component?.name ?? [])),
    }),
  };
}
