import type { ImageInputSpec, OrientationSpec, PipelineSpec } from '../../api/pipeline-schemas';
import type { Prediction } from '../../api/views';
import type { Principal } from '../auth/principal';
import { BadRequestError, InfergateError } from '../errors';
import type { InferenceResult, InferenceService, StepRunner } from '../inference/inference-service';
import type { ModelResolver } from '../registry/model-resolver';
import type { ModelVersion } from '../registry/types';
import type { Tensor } from '../tensors/tensor';
import { checkPipeline } from './check-pipeline';
import { imageError } from './errors';
import { planResize } from './geometry';
import type { ImageDecoder, ImageInfo } from './image-decoder';
import { declaredSize, sniffImage } from './image-format';
import { decodedChannels, imageTensor, rotate180 } from './image-tensor';
import { taskResult } from './predictions';

/**
 * How predictions run models (`InferenceService`): `serve` runs a request of a model under the
 * caller's plan (entitlements, limits, one usage event), and gives its work a `StepRunner` that
 * runs another model as a step of that request (its own usage event, metered with the
 * request's, no admission of its own).
 */
export type ModelServing = Pick<InferenceService, 'serve'>;

/** An image as a predict request carries it. */
export interface ImagePayload {
  /** The image file. */
  readonly bytes: Uint8Array;
  /** The request body's size on the wire, metered as input bytes. */
  readonly requestBytes: number;
  /** Classification: how many labels to answer (the pipeline's `topK` when absent). */
  readonly topK?: number;
}

export interface PredictionServiceOptions {
  /** Resolves the orientation step's classifier for the caller. */
  readonly resolver: Pick<ModelResolver, 'resolve'>;
  readonly serving: ModelServing;
  readonly images: ImageDecoder;
}

/**
 * The task routes' use case (`POST /v1/models/{name}/predict`): an image in, the task's result
 * out, through the version's pipeline. The image is checked (signature, format, size) and
 * decoded once per model it feeds; an orientation step first asks its classifier whether
 * the image is upside down and turns it if so. Each model run is one metered request of the
 * caller (so an OCR request with an orientation step records two usage events, in one write
 * under a plan with limits), admitted once under the caller's plan; a request that resolved a
 * version and then failed (a bad image included) is metered as an error.
 *
 * @example
 * const result = await predictions.predict(principal, 'ocr', undefined, { bytes: png, requestBytes: png.length });
 * JSON.parse(result.body); // { model_name: 'ocr', model_version: '1', rotated: false, text: 'Hello', confidence: 0.98 }
 */
export class PredictionService {
  private readonly options: PredictionServiceOptions;

  public constructor(options: PredictionServiceOptions) {
    this.options = options;
  }

  /** Answers `payload` with the task's result; the body is a serialized {@link Prediction}. */
  public predict(
    principal: Principal,
    name: string,
    versionOrAlias: string | undefined,
    payload: ImagePayload,
  ): Promise<InferenceResult> {
    return this.options.serving.serve(
      principal,
      name,
      versionOrAlias,
      payload.requestBytes,
      async (version, backend, steps) => {
        const pipeline = pipelineOf(version);
        if (payload.topK !== undefined && pipeline.output.type !== 'classification') {
          throw new BadRequestError(
            'invalid_request',
            `top_k applies to classification; model "${name}" reads text`,
          );
        }
        const binding = checkPipeline(pipeline, version.inputs, version.outputs);
        const info = await this.readImage(payload.bytes, pipeline.input);
        const rotated =
          pipeline.orientation === undefined
            ? false
            : await this.upsideDown(principal, name, pipeline.orientation, payload, info, steps);
        const input = await this.tensor(payload.bytes, info, pipeline.input, rotated);
        const run = await backend.run(version, {
          inputs: { [binding.input.name]: input },
          outputNames: [binding.output.name],
          inputBytes: input.data.length * 4,
        });
        const prediction: Prediction = {
          model_name: name,
          model_version: version.version,
          rotated,
          ...taskResult(pipeline.output, outputOf(run.outputs, binding.output.name), payload.topK),
        };
        return { body: JSON.stringify(prediction), computeMs: run.computeMs };
      },
    );
  }

  /** Checks the signature and the header: a PNG, JPEG or WebP the pipeline takes, within its pixel limit. */
  private async readImage(bytes: Uint8Array, input: ImageInputSpec): Promise<ImageInfo> {
    if (bytes.length === 0) throw imageError('empty_image', 'The image is empty (0 bytes)');
    const sniffed = sniffImage(bytes);
    if (sniffed.kind === 'unknown') {
      throw imageError('invalid_image', 'The body is not an image: expected a PNG, JPEG or WebP file');
    }
    const accepted = input.formats.join(', ');
    if (sniffed.kind === 'other-image' || !input.formats.includes(sniffed.format)) {
      throw imageError(
        'unsupported_image_type',
        `The image is ${sniffed.format.toUpperCase()}; this model takes ${accepted.toUpperCase()}`,
      );
    }
    const declared = declaredSize(bytes, sniffed.format);
    if (declared !== undefined && (declared.width === 0 || declared.height === 0)) {
      throw imageError(
        'empty_image',
        `The image has no pixels: its header declares ${declared.width}x${declared.height}`,
      );
    }
    return this.options.images.probe(bytes, input.maxPixels);
  }

  private async tensor(
    bytes: Uint8Array,
    info: ImageInfo,
    input: ImageInputSpec,
    rotate: boolean,
  ): Promise<Tensor> {
    const plan = planResize(input.resize, info);
    const decoded = await this.options.images.decode(bytes, {
      maxPixels: input.maxPixels,
      size: plan.resized,
      channels: decodedChannels(input.channels),
      interpolation: input.interpolation,
    });
    return imageTensor(rotate ? rotate180(decoded) : decoded, plan.tensor, input);
  }

  /**
   * Runs the orientation classifier (resolved for the caller, metered as its own request)
   * and says whether its best label is the upside-down one with at least `minScore`.
   */
  private async upsideDown(
    principal: Principal,
    name: string,
    orientation: OrientationSpec,
    payload: ImagePayload,
    info: ImageInfo,
    steps: StepRunner,
  ): Promise<boolean> {
    const unavailable = (reason: string, cause?: unknown) =>
      new InfergateError(
        503,
        'orientation_unavailable',
        `The orientation step of model "${name}" cannot run: ${reason}`,
        cause === undefined ? undefined : { cause },
      );
    let classifier: ModelVersion;
    try {
      ({ version: classifier } = await this.options.resolver.resolve(
        principal,
        orientation.model,
        orientation.version,
      ));
    } catch (error) {
      if (error instanceof InfergateError && error.status === 404) {
        throw unavailable(
          `model "${orientation.model}" (${orientation.version ?? 'prod'}) was not found`,
          error,
        );
      }
      throw error;
    }
    const pipeline = classifier.pipeline;
    if (pipeline?.output.type !== 'classification') {
      throw unavailable(
        `model "${orientation.model}" version ${classifier.version} declares no classification pipeline`,
      );
    }
    const binding = checkPipeline(pipeline, classifier.inputs, classifier.outputs);
    return steps.run(classifier, payload.requestBytes, async (backend) => {
      const input = await this.tensor(payload.bytes, info, pipeline.input, false);
      const run = await backend.run(classifier, {
        inputs: { [binding.input.name]: input },
        outputNames: [binding.output.name],
        inputBytes: input.data.length * 4,
      });
      const result = taskResult(pipeline.output, outputOf(run.outputs, binding.output.name), 1);
      const best = 'labels' in result ? result.labels[0] : undefined;
      const turn =
        best !== undefined &&
        best.label === orientation.upsideDownLabel &&
        best.score >= orientation.minScore;
      return { value: turn, computeMs: run.computeMs };
    });
  }
}

function pipelineOf(version: ModelVersion): PipelineSpec {
  if (version.pipeline === undefined) {
    throw new BadRequestError(
      'no_pipeline',
      `Model "${version.modelName}" version ${version.version} declares no pipeline; call POST /v2/models/${version.modelName}/infer with tensors`,
    );
  }
  return version.pipeline;
}

function outputOf(outputs: Record<string, Tensor>, name: string): Tensor {
  const tensor = outputs[name];
  if (tensor === undefined) throw new Error(`The backend returned no output "${name}"`);
  return tensor;
}
