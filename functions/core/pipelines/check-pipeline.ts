import type { PipelineSpec } from '../../api/pipeline-schemas';
import type { TensorSpec } from '../tensors/datatypes';
import { invalidPipeline } from './errors';
import { decodedChannels } from './image-tensor';

/** The model input a pipeline feeds and the output it reads, by name. */
export interface PipelineBinding {
  readonly input: TensorSpec;
  readonly output: TensorSpec;
}

/** Output datatypes a pipeline can read. */
const SCORE_DATATYPES = ['FP32', 'FP64'];

/**
 * Checks a pipeline against the model it is declared for, at registration, and throws 400
 * `invalid_pipeline` naming every problem. The image goes to one FP32 input of rank 4
 * (`[N, C, H, W]` or `[N, H, W, C]`) whose fixed dimensions must match what the pipeline
 * builds (N = 1, C = 3, or 1 for gray, H and W from the resize step), and it must be the
 * model's only input. The output read is FP32 or FP64, `[N, classes]` for classification and
 * `[N, steps, classes]` for CTC, with as many labels (vocabulary entries) as fixed classes.
 *
 * @example
 * checkPipeline(spec, version.inputs, version.outputs); // throws BadRequestError when they do not fit
 */
export function checkPipeline(
  spec: PipelineSpec,
  inputs: readonly TensorSpec[],
  outputs: readonly TensorSpec[],
): PipelineBinding {
  const problems: string[] = [];
  const input = pick('input', spec.input.input, inputs, problems);
  const output = pick('output', spec.output.output, outputs, problems);
  if (input !== undefined) {
    if (inputs.length > 1) {
      problems.push(`the model has ${inputs.length} inputs; a pipeline feeds a model with one input`);
    }
    checkImageInput(spec, input, problems);
  }
  if (output !== undefined) checkOutput(spec, output, problems);
  const channels = decodedChannels(spec.input.channels);
  const { normalize } = spec.input;
  if (normalize.type === 'mean-std') {
    for (const field of ['mean', 'std'] as const) {
      const length = normalize[field].length;
      if (length !== 1 && length !== channels) {
        problems.push(
          `input.normalize.${field} has ${length} values; give 1 or ${channels} (one per channel)`,
        );
      }
    }
  }
  if (input === undefined || output === undefined || problems.length > 0) throw invalidPipeline(problems);
  return { input, output };
}

/** The tensor named `name`, or the only one when no name is given. */
function pick(
  kind: 'input' | 'output',
  name: string | undefined,
  specs: readonly TensorSpec[],
  problems: string[],
): TensorSpec | undefined {
  if (name !== undefined) {
    const found = specs.find((spec) => spec.name === name);
    if (found === undefined) {
      problems.push(`${kind}.${kind} "${name}" is not a model ${kind} (${names(specs)})`);
    }
    return found;
  }
  if (specs.length !== 1) {
    problems.push(`the model has ${specs.length} ${kind}s (${names(specs)}); name one in ${kind}.${kind}`);
    return undefined;
  }
  return specs[0];
}

const names = (specs: readonly TensorSpec[]): string =>
  specs.map((spec) => `"${spec.name}"`).join(', ') || 'none';

/** A fixed dimension that differs from what the pipeline builds; `-1` fits anything. */
function dimensionProblem(label: string, actual: number, wanted: number): string | undefined {
  return actual === -1 || actual === wanted
    ? undefined
    : `${label} is ${actual}; the pipeline builds ${wanted}`;
}

function checkImageInput(spec: PipelineSpec, input: TensorSpec, problems: string[]): void {
  const where = `model input "${input.name}"`;
  if (input.datatype !== 'FP32') problems.push(`${where} is ${input.datatype}; an image input must be FP32`);
  if (input.shape.length !== 4) {
    problems.push(
      `${where} has rank ${input.shape.length}; an image input has rank 4 (${spec.input.layout})`,
    );
    return;
  }
  const nchw = spec.input.layout === 'NCHW';
  const [n, c, h, w] = nchw ? input.shape : [input.shape[0], input.shape[3], input.shape[1], input.shape[2]];
  const { resize } = spec.input;
  const found = [
    dimensionProblem(`${where}: the batch dimension`, n, 1),
    dimensionProblem(`${where}: the channel dimension`, c, decodedChannels(spec.input.channels)),
    dimensionProblem(`${where}: the height`, h, resize.height),
  ];
  if (resize.mode === 'fixed') {
    found.push(dimensionProblem(`${where}: the width`, w, resize.width));
  } else if (w !== -1) {
    const minWidth = resize.minWidth ?? resize.maxWidth;
    if (minWidth !== resize.maxWidth || w !== resize.maxWidth) {
      found.push(
        `${where}: the width is fixed at ${w}; the pipeline builds widths from ${minWidth} to ${resize.maxWidth} (make minWidth and maxWidth ${w})`,
      );
    }
  }
  problems.push(...found.filter((problem): problem is string => problem !== undefined));
}

function checkOutput(spec: PipelineSpec, output: TensorSpec, problems: string[]): void {
  const where = `model output "${output.name}"`;
  if (!SCORE_DATATYPES.includes(output.datatype)) {
    problems.push(`${where} is ${output.datatype}; a pipeline reads FP32 or FP64 scores`);
  }
  const task = spec.output;
  const rank = task.type === 'classification' ? 2 : 3;
  const form = task.type === 'classification' ? '[N, classes]' : '[N, steps, classes]';
  if (output.shape.length !== rank) {
    problems.push(`${where} has rank ${output.shape.length}; ${task.type} reads ${form}`);
    return;
  }
  const batch = dimensionProblem(`${where}: the batch dimension`, output.shape[0], 1);
  if (batch !== undefined) problems.push(batch);
  const classes = output.shape[rank - 1];
  const declared = task.type === 'classification' ? task.labels.length : task.vocabulary.length;
  const list = task.type === 'classification' ? 'output.labels' : 'output.vocabulary';
  if (classes !== -1 && classes !== declared) {
    problems.push(`${where} has ${classes} classes; ${list} has ${declared} entries`);
  }
}
