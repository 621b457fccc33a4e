import { BadRequestError, InfergateError } from '../errors';
import type { BaselineAgreement, Tier, VersionValidation } from '../registry/types';
import {
  type LoadedModel,
  type LoadFailure,
  ModelLoadError,
  type ModelRuntime,
} from '../runtime/model-runtime';
import { readOnnxSchema, type OnnxSchema } from '../runtime/onnx-schema';
import type { TensorSpec } from '../tensors/datatypes';
import type { Tensor } from '../tensors/tensor';
import { isClassifierLike, isComparable, OutputComparison } from './agreement';
import { describeNonOnnx } from './file-kind';
import { describeFeeds, type Feeds, sampleFeeds, sampleShapes } from './sample-inputs';

/** The runtime a tier's models are checked on. */
export interface TierRuntime {
  /** Recorded on the version and named in messages, e.g. `onnxruntime-web 1.30.0 (wasm)`. */
  readonly description: string;
  /** The runtime; called for every validation, so it should create it once and reuse it. */
  readonly runtime: () => Promise<ModelRuntime>;
}

/** Options of {@link ModelValidator}. */
export interface ModelValidatorOptions {
  /** The runtime of each tier. */
  readonly runtimes: Readonly<Record<Tier, TierRuntime>>;
  /** The largest model file accepted, in bytes. */
  readonly maxModelBytes: number;
  /**
   * Generated inputs run through a version and its baseline to measure their agreement.
   * @default 32
   */
  readonly agreementSamples?: number;
  /**
   * Seed of the generated inputs.
   * @default 42
   */
  readonly seed?: number;
}

/** A baseline to compare a new version with. */
export interface Baseline {
  readonly version: string;
  readonly bytes: Uint8Array;
}

/** What validation learnt about an accepted model. */
export interface ValidatedModel {
  readonly schema: OnnxSchema;
  readonly validation: VersionValidation;
  readonly agreement?: BaselineAgreement;
}

/**
 * The registration gate: a model is accepted only if it parses as ONNX, loads on its
 * tier's runtime (every operator and its opset implemented there), and runs on a generated
 * sample input producing the outputs it declares. Every refusal is a 400 with a stable code
 * and a message naming the problem. With a baseline, both versions run the same seeded
 * inputs and their agreement is measured.
 *
 * @example
 * const validator = new ModelValidator({ runtimes, maxModelBytes: 512 * 1024 * 1024 });
 * validator.checkSize(head.size);
 * const { schema, validation } = await validator.validate(bytes, 'lambda');
 */
export class ModelValidator {
  private readonly runtimes: Readonly<Record<Tier, TierRuntime>>;
  public readonly maxModelBytes: number;
  private readonly agreementSamples: number;
  private readonly seed: number;

  public constructor(options: ModelValidatorOptions) {
    const samples = options.agreementSamples ?? 32;
    if (!Number.isInteger(samples) || samples < 1) {
      throw new RangeError(`agreementSamples must be a positive integer, got ${samples}`);
    }
    if (!Number.isInteger(options.maxModelBytes) || options.maxModelBytes < 1) {
      throw new RangeError(`maxModelBytes must be a positive integer, got ${options.maxModelBytes}`);
    }
    this.runtimes = options.runtimes;
    this.maxModelBytes = options.maxModelBytes;
    this.agreementSamples = samples;
    this.seed = options.seed ?? 42;
  }

  /** Refuses an empty file (`empty_model`) or one over the limit (`model_too_large`). */
  public checkSize(size: number): void {
    if (size === 0) {
      throw new BadRequestError('empty_model', 'The uploaded model file is empty (0 bytes)');
    }
    if (size > this.maxModelBytes) {
      throw new BadRequestError(
        'model_too_large',
        `The model file is ${size} bytes; the limit is ${this.maxModelBytes} bytes`,
      );
    }
  }

  /**
   * Checks a model file for `tier`, and compares it with `baseline` when given. Writes
   * nothing; every model it loads is released before it returns.
   */
  public async validate(bytes: Uint8Array, tier: Tier, baseline?: Baseline): Promise<ValidatedModel> {
    this.checkSize(bytes.byteLength);
    const schema = parse(bytes);
    const { description, runtime } = this.runtimes[tier];
    const engine = await runtime();
    const model = await load(engine, bytes, description, 'the model');
    try {
      const shapes = sampleShapes(schema.inputs, schema.dimNames);
      const count = baseline === undefined ? 1 : this.agreementSamples;
      const samples = sampleFeeds(schema.inputs, shapes, { count, seed: this.seed });
      const first = samples[0] ?? {};
      const outputs = await runSample(model, first);
      checkOutputs(schema, outputs, first);
      const validation: VersionValidation = {
        runtime: description,
        sample: schema.inputs.map((spec) => ({ name: spec.name, shape: shapes[spec.name] ?? spec.shape })),
      };
      if (baseline === undefined) return { schema, validation };
      const agreement = await this.compare(engine, description, schema, model, samples, outputs, baseline);
      return { schema, validation, agreement };
    } finally {
      await model.release();
    }
  }

  private async compare(
    engine: ModelRuntime,
    description: string,
    schema: OnnxSchema,
    candidate: LoadedModel,
    samples: readonly Feeds[],
    firstOutputs: Readonly<Record<string, Tensor>>,
    baseline: Baseline,
  ): Promise<BaselineAgreement> {
    const reference = await load(engine, baseline.bytes, description, `baseline version ${baseline.version}`);
    try {
      const incompatible = (reason: string) =>
        new BadRequestError('baseline_incompatible', `Baseline version ${baseline.version} ${reason}`);
      checkBaselineInputs(reference.inputs, schema.inputs, samples[0] ?? {}, incompatible);
      const compared = schema.outputs.filter(
        (spec) => isComparable(spec) && reference.outputs.some((other) => other.name === spec.name),
      );
      if (compared.length === 0) {
        throw incompatible(
          `has no numeric output in common with this version (outputs ${schema.outputs.map((s) => s.name).join(', ')})`,
        );
      }
      const comparisons = compared.map((spec) => {
        const classes = isClassifierLike(spec, schema.dimNames[spec.name] !== undefined)
          ? spec.shape[spec.shape.length - 1]
          : undefined;
        return { spec, comparison: new OutputComparison(spec.name, classes) };
      });
      const names = compared.map((spec) => spec.name);
      for (const [index, feeds] of samples.entries()) {
        const ours = index === 0 ? firstOutputs : await runSample(candidate, feeds);
        let theirs: Record<string, Tensor>;
        try {
          theirs = await reference.run(feeds, names);
        } catch (error) {
          throw incompatible(`failed on the sample input (${describeFeeds(feeds)}): ${reasonOf(error)}`);
        }
        for (const { spec, comparison } of comparisons) {
          const a = theirs[spec.name];
          const b = ours[spec.name];
          if (a === undefined || b === undefined) throw incompatible(`produced no output '${spec.name}'`);
          if (a.shape.join() !== b.shape.join()) {
            throw incompatible(
              `gives output '${spec.name}' the shape [${a.shape.join(', ')}], this version [${b.shape.join(', ')}]`,
            );
          }
          comparison.add(a, b);
        }
      }
      return {
        baselineVersion: baseline.version,
        samples: samples.length,
        seed: this.seed,
        outputs: comparisons.map(({ comparison }) => comparison.result()),
      };
    } finally {
      await reference.release();
    }
  }
}

/** Reads the schema; a file that does not parse is described by what it looks like. */
function parse(bytes: Uint8Array): OnnxSchema {
  try {
    return readOnnxSchema(bytes);
  } catch (error) {
    if (error instanceof InfergateError && error.code === 'invalid_model') {
      const kind = describeNonOnnx(bytes);
      if (kind !== undefined) {
        throw new BadRequestError('invalid_model', `The uploaded file is ${kind}, not an ONNX model`, {
          cause: error,
        });
      }
    }
    throw error;
  }
}

async function load(
  engine: ModelRuntime,
  bytes: Uint8Array,
  runtime: string,
  what: string,
): Promise<LoadedModel> {
  try {
    return await engine.load(bytes);
  } catch (error) {
    if (error instanceof ModelLoadError) throw refusal(error.failure, error.detail, runtime, what, error);
    throw error;
  }
}

/** The 400 that tells the uploader why the runtime refused the model. */
function refusal(
  failure: LoadFailure,
  detail: string,
  runtime: string,
  what: string,
  cause: unknown,
): BadRequestError {
  const options = { cause };
  switch (failure.kind) {
    case 'unsupported_operator': {
      const version = failure.version === undefined ? '' : ` (opset ${failure.version})`;
      return new BadRequestError(
        'unsupported_operator',
        `${capitalize(what)} uses the operator ${failure.operator}${version}, which ${runtime} does not implement: ${detail}`,
        options,
      );
    }
    case 'unsupported_opset':
      return new BadRequestError(
        'unsupported_opset',
        `${capitalize(what)} imports opset ${failure.opset} of ${failure.domain}; ${runtime} supports ${
          failure.supported === undefined ? 'older ones' : `up to ${failure.supported}`
        }`,
        options,
      );
    case 'unsupported_ir_version':
      return new BadRequestError(
        'unsupported_opset',
        `${capitalize(what)} has ONNX IR version ${failure.irVersion}; ${runtime} reads up to ${failure.supported}`,
        options,
      );
    case 'unsupported_model':
      return new BadRequestError(
        'unsupported_model',
        `${capitalize(what)} cannot be served: ${detail}`,
        options,
      );
    case 'out_of_memory':
      return new BadRequestError(
        'model_too_large',
        `${capitalize(what)} does not fit in the memory of ${runtime}: ${detail}`,
        options,
      );
    case 'invalid_model':
    case 'unknown':
      return new BadRequestError(
        'invalid_model',
        `${capitalize(what)} is not a valid ONNX model for ${runtime}: ${detail}`,
        options,
      );
  }
}

/** Runs a generated sample; any failure is the model's (`model_run_failed`). */
async function runSample(model: LoadedModel, feeds: Feeds): Promise<Record<string, Tensor>> {
  try {
    return await model.run(feeds);
  } catch (error) {
    throw new BadRequestError(
      'model_run_failed',
      `The model failed on a generated sample input (${describeFeeds(feeds)}): ${reasonOf(error)}`,
      { cause: error },
    );
  }
}

/** Every declared output was produced, with its declared datatype, rank and fixed sizes. */
function checkOutputs(schema: OnnxSchema, outputs: Readonly<Record<string, Tensor>>, feeds: Feeds): void {
  for (const spec of schema.outputs) {
    const tensor = outputs[spec.name];
    const declared = `${spec.datatype} [${spec.shape.join(', ')}]`;
    const mismatch = (produced: string) =>
      new BadRequestError(
        'output_mismatch',
        `On a generated sample input (${describeFeeds(feeds)}) the model's output '${spec.name}' is ${produced}; it declares ${declared}`,
      );
    if (tensor === undefined) throw mismatch('missing');
    const produced = `${tensor.datatype} [${tensor.shape.join(', ')}]`;
    if (tensor.datatype !== spec.datatype) throw mismatch(produced);
    if (schema.dimNames[spec.name] === undefined) continue; // rank unknown, so every shape is accepted
    if (
      tensor.shape.length !== spec.shape.length ||
      spec.shape.some((dim, axis) => dim >= 0 && tensor.shape[axis] !== dim)
    ) {
      throw mismatch(produced);
    }
  }
}

/** The baseline takes the inputs generated for the new version. */
function checkBaselineInputs(
  theirs: readonly TensorSpec[],
  ours: readonly TensorSpec[],
  sample: Feeds,
  incompatible: (reason: string) => BadRequestError,
): void {
  const describe = (specs: readonly TensorSpec[]) =>
    specs.map((s) => `${s.name} ${s.datatype} [${s.shape.join(', ')}]`).join(', ');
  const fits = (spec: TensorSpec): boolean => {
    const tensor = sample[spec.name];
    return (
      tensor !== undefined &&
      tensor.datatype === spec.datatype &&
      tensor.shape.length === spec.shape.length &&
      spec.shape.every((dim, axis) => dim < 0 || tensor.shape[axis] === dim)
    );
  };
  if (theirs.length !== ours.length || !theirs.every(fits)) {
    throw incompatible(`takes inputs ${describe(theirs)}; this version takes ${describe(ours)}`);
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
