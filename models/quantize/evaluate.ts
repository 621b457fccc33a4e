import type { LoadedModel } from '../../functions/core/runtime/model-runtime';
import type { Tensor, TensorData } from '../../functions/core/tensors/tensor';
import type { Feeds } from './calibrate';
import { QuantizeError } from './errors';

/** Inputs to calibrate a model on and to compare a quantized model with its original on. */
export interface EvaluationSet {
  /** What the samples are, for reports (e.g. "359 held-out digits"). */
  readonly description: string;
  /** Samples for static-int8 calibration. */
  readonly calibration: readonly Feeds[];
  /** Samples to compare on; each may hold several rows (a batch). */
  readonly validation: readonly Feeds[];
  /** Expected class of each validation row, across samples in order, when known. */
  readonly labels?: ArrayLike<number>;
}

/** How closely a candidate model follows a reference model on a validation set. */
export interface Agreement {
  /** The output compared: the model's first. */
  readonly output: string;
  /** Rows compared (every dimension but the last, over all samples). */
  readonly rows: number;
  /** Share of rows whose largest output (top-1 class) is the same in both. */
  readonly topOneAgreement: number;
  /** Largest absolute difference over every output value. */
  readonly maxAbsDiff: number;
  /**
   * Over the rows where the two disagree, the largest gap between the reference's top two
   * scores (0 when they always agree): a small value means they only disagree on near-ties.
   */
  readonly largestDisagreementMargin: number;
  /** Share of rows whose top-1 class is the label, when labels are known. */
  readonly referenceAccuracy?: number;
  readonly candidateAccuracy?: number;
}

function floatsOf(tensor: Tensor | undefined, name: string): Float32Array | Float64Array {
  const data: TensorData | undefined = tensor?.data;
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  throw new QuantizeError('invalid_option', `output '${name}' is not a float tensor; agreement needs scores`);
}

/**
 * Runs both models on every validation sample and compares their first output: top-1
 * agreement over rows (argmax over the last dimension) and the largest absolute
 * difference; accuracy of each when the set has labels.
 */
export async function compareModels(
  reference: LoadedModel,
  candidate: LoadedModel,
  set: EvaluationSet,
): Promise<Agreement> {
  const output = reference.outputs[0]?.name ?? '';
  let rows = 0;
  let agreeing = 0;
  let maxAbsDiff = 0;
  let largestDisagreementMargin = 0;
  let referenceCorrect = 0;
  let candidateCorrect = 0;
  for (const feeds of set.validation) {
    const [expected, actual] = await Promise.all([
      reference.run(feeds, [output]),
      candidate.run(feeds, [output]),
    ]);
    const a = floatsOf(expected[output], output);
    const b = floatsOf(actual[output], output);
    const shape = expected[output]?.shape ?? [];
    const classes = shape.length === 0 ? 1 : (shape[shape.length - 1] ?? 1);
    for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
    for (let row = 0; row * classes < a.length; row++) {
      const topA = topTwo(a, row * classes, classes);
      const topB = topTwo(b, row * classes, classes);
      if (topA.index === topB.index) agreeing++;
      else largestDisagreementMargin = Math.max(largestDisagreementMargin, topA.margin);
      const label = set.labels?.[rows];
      if (label !== undefined) {
        if (topA.index === label) referenceCorrect++;
        if (topB.index === label) candidateCorrect++;
      }
      rows++;
    }
  }
  if (rows === 0) throw new QuantizeError('invalid_option', 'the validation set is empty');
  const labelled = set.labels !== undefined && set.labels.length === rows;
  return {
    output,
    rows,
    topOneAgreement: agreeing / rows,
    maxAbsDiff,
    largestDisagreementMargin,
    ...(labelled
      ? { referenceAccuracy: referenceCorrect / rows, candidateAccuracy: candidateCorrect / rows }
      : {}),
  };
}

/** The index of the largest of `count` values from `start`, and its lead over the second. */
function topTwo(
  values: Float32Array | Float64Array,
  start: number,
  count: number,
): { index: number; margin: number } {
  let best = 0;
  for (let c = 1; c < count; c++) if (values[start + c] > values[start + best]) best = c;
  let second = -Infinity;
  for (let c = 0; c < count; c++) if (c !== best) second = Math.max(second, values[start + c]);
  return { index: best, margin: count === 1 ? 0 : values[start + best] - second };
}

/** Latency of one model over timed runs. */
export interface LatencyStats {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly meanMs: number;
}

/** Options of {@link measureLatencies}. */
export interface LatencyOptions {
  /** Untimed runs of each model first: V8 and the WASM engine need a few hundred to settle. @default 300 */
  readonly warmup?: number;
  /** Timed runs of each model. @default 200 */
  readonly runs?: number;
}

/**
 * Times several models on the same inputs in one process: after warming each up, runs
 * them in turn (A, B, A, B, ...), so that drift in the machine's speed hits all alike.
 */
export async function measureLatencies(
  models: readonly LoadedModel[],
  feeds: Feeds,
  options: LatencyOptions = {},
): Promise<LatencyStats[]> {
  const warmup = options.warmup ?? 300;
  const runs = options.runs ?? 200;
  if (!Number.isInteger(runs) || runs < 1)
    throw new RangeError(`runs must be a positive integer, got ${runs}`);
  for (let i = 0; i < warmup; i++) for (const model of models) await model.run(feeds);
  const times = models.map(() => new Float64Array(runs));
  for (let i = 0; i < runs; i++) {
    for (const [m, model] of models.entries()) {
      const start = performance.now();
      await model.run(feeds);
      const column = times[m];
      if (column !== undefined) column[i] = performance.now() - start;
    }
  }
  return times.map((column) => {
    const sorted = Float64Array.from(column).sort();
    const at = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return { p50Ms: at(0.5), p90Ms: at(0.9), meanMs: column.reduce((sum, t) => sum + t, 0) / column.length };
  });
}

/**
 * Inputs of `rows` rows for timing: the first rows of the first validation sample.
 */
export function latencyFeeds(set: EvaluationSet, rows: number): Feeds {
  if (!Number.isInteger(rows) || rows < 1)
    throw new RangeError(`rows must be a positive integer, got ${rows}`);
  const first = set.validation[0];
  if (first === undefined) throw new QuantizeError('invalid_option', 'the validation set is empty');
  const feeds: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(first)) {
    const available = tensor.shape[0] ?? 1;
    if (tensor.shape.length === 0 || Array.isArray(tensor.data)) {
      feeds[name] = tensor; // scalars and strings are not batched
      continue;
    }
    if (available < rows) {
      throw new QuantizeError(
        'invalid_option',
        `batch: the first validation sample has ${available} rows of '${name}', fewer than ${rows}`,
      );
    }
    const rowSize = tensor.data.length / available;
    feeds[name] = {
      datatype: tensor.datatype,
      shape: [rows, ...tensor.shape.slice(1)],
      data: tensor.data.subarray(0, rows * rowSize),
    };
  }
  return feeds;
}
