import type { OutputAgreement } from '../registry/types';
import type { TensorSpec } from '../tensors/datatypes';
import { fromFloat16Bits } from '../tensors/float16';
import type { Tensor } from '../tensors/tensor';

/**
 * Whether an output reads as class scores: floats whose declared last dimension is a fixed
 * number of classes (2 or more), so that the largest value of each row is a class.
 */
export function isClassifierLike(spec: TensorSpec, rankKnown: boolean): boolean {
  const last = spec.shape[spec.shape.length - 1];
  const float = spec.datatype === 'FP32' || spec.datatype === 'FP64' || spec.datatype === 'FP16';
  return float && rankKnown && last !== undefined && last >= 2;
}

/** Whether an output holds numbers that can be compared (everything but BYTES). */
export function isComparable(spec: TensorSpec): boolean {
  return spec.datatype !== 'BYTES';
}

/**
 * Accumulates how one output of a candidate version differs from the same output of a
 * baseline over several runs: the largest absolute difference, the values whose
 * finiteness differs, and for classifier-like outputs the top-1 agreement per row.
 *
 * @example
 * const agreement = new OutputComparison('probabilities', 10);
 * agreement.add(baselineOutputs.probabilities, candidateOutputs.probabilities);
 * agreement.result(); // { output: 'probabilities', maxAbsDiff: 0.0079, topOneAgreement: 1, rows: 32, ... }
 */
export class OutputComparison {
  private readonly output: string;
  /** Classes per row for classifier-like outputs, else undefined. */
  private readonly classes: number | undefined;
  private maxAbsDiff = 0;
  private nonFiniteMismatches = 0;
  private rows = 0;
  private agreeing = 0;

  public constructor(output: string, classes?: number) {
    this.output = output;
    this.classes = classes;
  }

  /** Adds one run's outputs; they must have the same shape (checked by the caller). */
  public add(baseline: Tensor, candidate: Tensor): void {
    const a = numbersOf(baseline);
    const b = numbersOf(candidate);
    const length = Math.min(a.length, b.length);
    for (let i = 0; i < length; i++) {
      const x = a[i] ?? NaN;
      const y = b[i] ?? NaN;
      const diff = Math.abs(x - y);
      if (Number.isFinite(diff)) {
        this.maxAbsDiff = Math.max(this.maxAbsDiff, diff);
      } else if (!Object.is(x, y)) {
        // NaN against anything, infinity against a number, or two finite values too far
        // apart for a double: no number to record.
        this.nonFiniteMismatches++;
      }
    }
    const classes = this.classes;
    if (classes === undefined) return;
    for (let start = 0; start + classes <= length; start += classes) {
      if (argmax(a, start, classes) === argmax(b, start, classes)) this.agreeing++;
      this.rows++;
    }
  }

  public result(): OutputAgreement {
    return {
      output: this.output,
      maxAbsDiff: this.maxAbsDiff,
      nonFiniteMismatches: this.nonFiniteMismatches,
      ...(this.classes === undefined || this.rows === 0
        ? {}
        : { topOneAgreement: this.agreeing / this.rows, rows: this.rows }),
    };
  }
}

/** The values of a numeric tensor as numbers (FP16 bits decoded, 64-bit integers rounded). */
function numbersOf(tensor: Tensor): ArrayLike<number> {
  const { data } = tensor;
  if (Array.isArray(data)) return [];
  if (tensor.datatype === 'FP16' && data instanceof Uint16Array) return Array.from(data, fromFloat16Bits);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  return data;
}

function argmax(values: ArrayLike<number>, start: number, count: number): number {
  let best = 0;
  for (let c = 1; c < count; c++) {
    // NaN never wins, so a row of NaN in both agrees on index 0.
    if ((values[start + c] ?? NaN) > (values[start + best] ?? NaN)) best = c;
  }
  return best;
}
