import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { BackendRun, InferenceBackend } from '../../core/inference/backend';
import { InfergateError, UnavailableError } from '../../core/errors';
import type { ModelVersion } from '../../core/registry/types';
import { MAX_REQUEST_ELEMENTS, type DecodedInferRequest } from '../../core/tensors/oip-codec';
import type { Tensor } from '../../core/tensors/tensor';
import { elementCount } from '../../core/tensors/tensor';
import { decodeTensorData } from '../../core/tensors/tensor-json';
import {
  decodeBinaryTensor,
  encodeBinaryInferRequest,
  type BodyTensor,
  readInferBody,
  TritonBodyError,
} from '../../core/triton/binary-tensors';
import {
  invokeFailureKind,
  type InvokeTarget,
  translateInvokeError,
  UNAVAILABLE_RETRY_AFTER_SECONDS,
} from './errors';

/** What the backend needs of a SageMaker Runtime client (the real one in production and tests). */
export type InvokeClient = Pick<SageMakerRuntimeClient, 'send'>;

export interface SageMakerBackendOptions {
  /**
   * The client, with its own timeouts and `maxAttempts: 1` (see `createSageMakerRuntimeClient()`):
   * this backend does the retries.
   */
  readonly client: InvokeClient;
  /**
   * The endpoints this deployment has. A version naming another endpoint is not served
   * (503 `endpoint_unavailable`), so a registry entry cannot make the function call an
   * endpoint outside the catalog (IAM would refuse it anyway).
   */
  readonly endpoints: ReadonlySet<string>;
  /**
   * The inference components this deployment has (on component-based endpoints); a version
   * naming another is not served, like an endpoint outside `endpoints`.
   * @default none
   */
  readonly components?: ReadonlySet<string>;
  /**
   * Calls per request when the endpoint is throttled or unavailable (never for timeouts or
   * the model's own errors).
   * @default 3
   */
  readonly attempts?: number;
  /**
   * Base of the exponential backoff between attempts, with full jitter.
   * @default 50 ms
   */
  readonly retryBaseMs?: number;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * SageMaker's limit on the body of one `InvokeEndpoint` request, and on the response a
 * real-time endpoint may return: 6 MB (the API reference gives `Body` a maximum length of
 * 6291456 bytes).
 */
export const MAX_INVOKE_BODY_BYTES = 6 * 1024 * 1024;

/** Longest wait between two attempts. */
const MAX_RETRY_DELAY_MS = 1_000;

/**
 * The `sagemaker` tier: a version runs on the SageMaker endpoint it was registered to,
 * NVIDIA Triton (ONNX Runtime backend) behind `InvokeEndpoint`, addressed by `TargetModel`
 * on a multi-model endpoint or by `InferenceComponentName` on a component-based one (which
 * answers 503 `endpoint_scaling` while it has no copy: it scaled to zero). Requests carry every input as binary tensor data and ask for
 * every output as binary (Triton's binary tensor extension, `core/triton/binary-tensors.ts`):
 * exact for every datatype and about a fifth of the JSON's size for floats, which keeps
 * inputs and outputs of a few million values within SageMaker's 6 MB each way. A response
 * that comes back as JSON is read too. Compute is the wall time of the successful endpoint call.
 *
 * Retries are this backend's, not the SDK's: the SDK would also retry a request that
 * timed out, which on a GPU endpoint doubles the work of a request that is already late.
 *
 * @example
 * const backend = new SageMakerBackend({ client: createSageMakerRuntimeClient({ timeoutMs: 10_000 }), endpoints: new Set(['infergate-prod-ocr-rec']) });
 */
export class SageMakerBackend implements InferenceBackend {
  private readonly client: InvokeClient;
  private readonly endpoints: ReadonlySet<string>;
  private readonly components: ReadonlySet<string>;
  private readonly attempts: number;
  private readonly retryBaseMs: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(options: SageMakerBackendOptions) {
    const attempts = options.attempts ?? 3;
    if (!Number.isInteger(attempts) || attempts < 1) {
      throw new RangeError(`attempts must be a positive integer, got ${attempts}`);
    }
    this.client = options.client;
    this.endpoints = options.endpoints;
    this.components = options.components ?? new Set();
    this.attempts = attempts;
    this.retryBaseMs = options.retryBaseMs ?? 50;
    this.clock = options.clock ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * A version is servable when it names one of this deployment's endpoints; whether the
   * endpoint answers is only known by calling it (readiness does not spend a GPU call).
   */
  public async prepare(version: ModelVersion): Promise<void> {
    this.targetOf(version);
  }

  public async run(version: ModelVersion, request: DecodedInferRequest): Promise<BackendRun> {
    const target = this.targetOf(version);
    const { body, contentType } = encodeBinaryInferRequest({
      id: request.id,
      inputs: version.inputs.map((spec) => ({ name: spec.name, tensor: requiredInput(request, spec.name) })),
      outputNames: request.outputNames,
    });
    if (body.byteLength > MAX_INVOKE_BODY_BYTES) {
      throw new InfergateError(
        413,
        'payload_too_large',
        `The request is ${body.byteLength} bytes as binary tensors for the GPU endpoint, which takes at most ${MAX_INVOKE_BODY_BYTES} bytes; send fewer rows`,
      );
    }
    for (let attempt = 1; ; attempt++) {
      const started = this.clock();
      try {
        const response = await this.client.send(
          new InvokeEndpointCommand({
            EndpointName: target.endpointName,
            ...(target.inferenceComponent === undefined
              ? { TargetModel: target.targetModel }
              : { InferenceComponentName: target.inferenceComponent }),
            // The JSON header's length travels in the content type: SageMaker passes no custom header.
            ContentType: contentType,
            Body: body,
          }),
        );
        const computeMs = this.clock() - started;
        return { outputs: decodeOutputs(version, request, response.Body, response.ContentType), computeMs };
      } catch (error) {
        const kind = invokeFailureKind(error);
        if ((kind !== 'throttled' && kind !== 'unavailable') || attempt >= this.attempts) {
          throw translateInvokeError(error, target);
        }
        const cap = Math.min(MAX_RETRY_DELAY_MS, this.retryBaseMs * 2 ** (attempt - 1));
        await this.sleep(Math.random() * cap);
      }
    }
  }

  private targetOf(version: ModelVersion): InvokeTarget {
    const { endpointName, targetModel, inferenceComponent } = version;
    const which = `Model "${version.modelName}" version ${version.version}`;
    const unavailable = (why: string) =>
      new UnavailableError('endpoint_unavailable', `${which} ${why}`, {
        retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
      });
    if (endpointName === undefined || (targetModel === undefined) === (inferenceComponent === undefined)) {
      throw unavailable('names no SageMaker endpoint and either a model archive or an inference component');
    }
    if (!this.endpoints.has(endpointName)) {
      throw unavailable(`runs on SageMaker endpoint ${endpointName}, which is not part of this deployment`);
    }
    if (inferenceComponent !== undefined) {
      if (!this.components.has(inferenceComponent)) {
        throw unavailable(
          `runs on inference component ${inferenceComponent}, which is not part of this deployment`,
        );
      }
      return { endpointName, inferenceComponent };
    }
    return { endpointName, targetModel };
  }
}

function requiredInput(request: DecodedInferRequest, name: string): Tensor {
  const tensor = request.inputs[name];
  // The codec checked every input of the version; a gap here is a bug, not a bad request.
  if (tensor === undefined) throw new Error(`input '${name}' was not decoded`);
  return tensor;
}

/**
 * Reads the endpoint's response into tensors, checked against the version's outputs: binary
 * data where the response has it, JSON `data` otherwise. A response that does not fit is the
 * endpoint's fault: 502 `invalid_endpoint_response`.
 */
function decodeOutputs(
  version: ModelVersion,
  request: DecodedInferRequest,
  body: Uint8Array | undefined,
  contentType: string | undefined,
): Record<string, Tensor> {
  let outputs: readonly BodyTensor[];
  try {
    outputs = readInferBody(body ?? new Uint8Array(), contentType, 'outputs').tensors;
  } catch (error) {
    if (error instanceof TritonBodyError) throw badResponse(error.message, error);
    throw error;
  }
  const specs = new Map(version.outputs.map((spec) => [spec.name, spec]));
  const decoded: Record<string, Tensor> = {};
  for (const { entry: output, binary } of outputs) {
    if (typeof output.name !== 'string') throw badResponse('an output has no name');
    const spec = specs.get(output.name);
    if (spec === undefined) throw badResponse(`output '${output.name}' is not an output of the model`);
    if (output.datatype !== spec.datatype) {
      throw badResponse(
        `output '${spec.name}' has datatype ${String(output.datatype)}, not ${spec.datatype}`,
      );
    }
    const { shape } = output;
    if (
      !Array.isArray(shape) ||
      shape.length !== spec.shape.length ||
      !shape.every(
        (dim: unknown, d) =>
          Number.isSafeInteger(dim) && Number(dim) >= 0 && (spec.shape[d] === -1 || spec.shape[d] === dim),
      )
    ) {
      throw badResponse(
        `output '${spec.name}' has shape ${JSON.stringify(shape)}, which does not fit [${spec.shape.join(',')}]`,
      );
    }
    const dims = shape.map(Number);
    const count = elementCount(dims);
    if (count > MAX_REQUEST_ELEMENTS) {
      throw badResponse(
        `output '${spec.name}' claims ${count} elements; at most ${MAX_REQUEST_ELEMENTS} are read`,
      );
    }
    try {
      decoded[spec.name] = {
        datatype: spec.datatype,
        shape: dims,
        data:
          binary === undefined
            ? decodeTensorData({ name: spec.name, datatype: spec.datatype, shape: dims, count }, output.data)
                .data
            : decodeBinaryTensor(spec.datatype, dims, binary, `output '${spec.name}'`),
      };
    } catch (error) {
      // Binary decoding names the output itself; the JSON codec's messages do not.
      if (error instanceof TritonBodyError) throw badResponse(error.message, error);
      throw badResponse(
        `output '${spec.name}': ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    }
  }
  for (const name of request.outputNames ?? version.outputs.map((spec) => spec.name)) {
    if (decoded[name] === undefined) throw badResponse(`output '${name}' is missing`);
  }
  return decoded;
}

function badResponse(why: string, cause?: unknown): InfergateError {
  return new InfergateError(
    502,
    'invalid_endpoint_response',
    `The GPU endpoint answered a response that does not fit the model: ${why}`,
    {
      cause,
    },
  );
}
