import type { ArtifactStore } from '../../functions/core/artifacts';
import { InfergateError } from '../../functions/core/errors';
import type { LoadedModel, ModelRuntime } from '../../functions/core/runtime/model-runtime';
import { SessionCache } from '../../functions/core/runtime/session-cache';
import type { Tensor } from '../../functions/core/tensors/tensor';
import {
  encodeInferResponseBody,
  JSON_CONTENT_TYPE,
  TritonBodyError,
} from '../../functions/core/triton/binary-tensors';
import { TRITON_MODEL_VERSION, unpackTritonModel } from '../../functions/core/triton/model-repository';
import { readTritonRequest, TritonRequestError } from './triton-request';

/** An answer of the container: a status, a body and its content type, as Triton writes them. */
export interface ContainerAnswer {
  readonly status: number;
  readonly body: Uint8Array | string;
  readonly contentType: string;
}

export interface TritonContainerOptions {
  /** Where the endpoint's model archives are (the local S3, through the real SDK). */
  readonly artifacts: ArtifactStore;
  /** The endpoint's S3 prefix (`sagemaker/<name>/`): archives are `<prefix><TargetModel>`. */
  readonly modelsPrefix: string;
  /** Makes the runtime on first use, so that a platform that never calls the tier never loads it. */
  readonly runtime: () => Promise<ModelRuntime>;
  /** @default 1 GiB of loaded models */
  readonly cacheBytes?: number;
}

/** A loaded model with what Triton's configuration says about it. */
class TritonModel implements LoadedModel {
  public readonly inputs: LoadedModel['inputs'];
  public readonly outputs: LoadedModel['outputs'];
  public readonly sizeBytes: number;

  public constructor(
    public readonly name: string,
    public readonly maxBatchSize: number,
    private readonly model: LoadedModel,
  ) {
    this.inputs = model.inputs;
    this.outputs = model.outputs;
    this.sizeBytes = model.sizeBytes;
  }

  public run(
    feeds: Readonly<Record<string, Tensor>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, Tensor>> {
    return this.model.run(feeds, outputNames);
  }

  public release(): Promise<void> {
    return this.model.release();
  }
}

/** Archives are content-addressed: `<sha256>.tar.gz`. */
const TARGET_MODEL = /^([0-9a-f]{64})\.tar\.gz$/;

/**
 * What the Triton container of one multi-model endpoint does with an invocation, on the
 * CPU: loads the target model's `model.tar.gz` from the artifact store (verified against
 * its content address, cached), reads the request as Triton's SageMaker server does (JSON, or
 * JSON and binary tensor data, `triton-request.ts`), checks it against the model and Triton's
 * batch bound, runs it on onnxruntime-node and answers as Triton does: each output as binary
 * data or JSON as asked, or Triton's error shape `{"error": "..."}` with 400 for a request the
 * model refuses and 500 for its own failures.
 */
export class TritonContainer {
  private readonly options: TritonContainerOptions;
  private cache: Promise<SessionCache> | undefined;

  public constructor(options: TritonContainerOptions) {
    this.options = options;
  }

  /** The session cache, made with the runtime on first use. */
  private sessions(): Promise<SessionCache> {
    this.cache ??= this.options.runtime().then(
      (runtime) =>
        new SessionCache({
          runtime: {
            load: async (bytes) => {
              const repository = await unpackTritonModel(bytes);
              const model = await runtime.load(repository.onnx);
              return new TritonModel(repository.name, repository.maxBatchSize, model);
            },
          },
          maxBytes: this.options.cacheBytes ?? 1024 ** 3,
        }),
      (error: unknown) => {
        this.cache = undefined;
        throw error;
      },
    );
    return this.cache;
  }

  /** Answers `POST /invocations` for `targetModel` with the request `body` of `contentType`. */
  public async invoke(
    targetModel: string,
    body: Uint8Array,
    contentType: string | undefined,
  ): Promise<ContainerAnswer> {
    const sha256 = TARGET_MODEL.exec(targetModel)?.[1];
    if (sha256 === undefined) return tritonError(400, `unknown model '${targetModel}'`);
    try {
      const cache = await this.sessions();
      return await cache.use(
        sha256,
        () => this.options.artifacts.get(`${this.options.modelsPrefix}${targetModel}`),
        async (model) => {
          if (!(model instanceof TritonModel))
            throw new Error('the session cache holds a model it did not load');
          return this.run(model, body, contentType);
        },
      );
    } catch (error) {
      if (
        error instanceof TritonBodyError ||
        error instanceof TritonRequestError ||
        (error instanceof InfergateError && error.status < 500)
      ) {
        return tritonError(400, error.message);
      }
      return tritonError(500, error instanceof Error ? error.message : String(error));
    }
  }

  private async run(
    model: TritonModel,
    body: Uint8Array,
    contentType: string | undefined,
  ): Promise<ContainerAnswer> {
    const request = readTritonRequest(body, contentType, model);
    if (model.maxBatchSize > 0) {
      for (const [name, tensor] of Object.entries(request.inputs)) {
        const batch = tensor.shape[0] ?? 0;
        if (batch > model.maxBatchSize) {
          return tritonError(
            400,
            `inference request batch-size must be <= ${model.maxBatchSize} for '${model.name}' (input '${name}' has ${batch})`,
          );
        }
      }
    }
    const outputs = await model.run(
      request.inputs,
      request.outputs.map((output) => output.name),
    );
    const response = encodeInferResponseBody({
      modelName: model.name,
      modelVersion: TRITON_MODEL_VERSION,
      id: request.id,
      outputs: request.outputs.map(({ name, binary }) => {
        const tensor = outputs[name];
        if (tensor === undefined) throw new Error(`output '${name}' was not produced by the model`);
        return { name, tensor, binary };
      }),
    });
    return { status: 200, body: response.body, contentType: response.contentType };
  }
}

/** Triton's error body. */
export function tritonError(status: number, message: string): ContainerAnswer {
  return { status, body: JSON.stringify({ error: message }), contentType: JSON_CONTENT_TYPE };
}
