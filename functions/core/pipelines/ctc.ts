import { softmax, type Scores } from './classification';

/** A decoded text line. */
export interface CtcText {
  readonly text: string;
  /** Mean score of the emitted classes (0 when nothing was emitted). */
  readonly confidence: number;
}

/** A model output's data: FP32 or FP64. */
export type ScoreArray = Float32Array | Float64Array;

export interface CtcOptions {
  /** `vocabulary[i]` is the text of class `i`; its length is the number of classes. */
  readonly vocabulary: readonly string[];
  readonly blankIndex: number;
  /** `logits`: each step's scores go through a softmax first. */
  readonly scores: 'logits' | 'probabilities';
  /** Drop whitespace at both ends of the text. */
  readonly trim: boolean;
}

/**
 * Greedy CTC decoding of one sequence: `steps` rows of `vocabulary.length` scores. Takes the
 * best class of each step (the lowest index on a tie), merges a class repeated on consecutive
 * steps into one, drops blanks (a blank between two equal classes keeps both), and joins the
 * vocabulary entries. The confidence is the mean probability of the classes emitted.
 *
 * @example
 * // classes: blank, "a", "b"; steps: a a blank a b
 * ctcGreedyDecode(Float32Array.of(0,1,0, 0,1,0, 1,0,0, 0,1,0, 0,0,1), 5, {
 *   vocabulary: ['', 'a', 'b'], blankIndex: 0, scores: 'probabilities', trim: true,
 * }); // { text: 'aab', confidence: 1 }
 */
export function ctcGreedyDecode(data: ScoreArray, steps: number, options: CtcOptions): CtcText {
  const classes = options.vocabulary.length;
  if (data.length !== steps * classes) {
    throw new RangeError(`${data.length} scores are not ${steps} steps of ${classes} classes`);
  }
  let text = '';
  let scoreSum = 0;
  let emitted = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const row = rowOf(data, t * classes, classes, options.scores);
    let best = 0;
    for (let c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
    if (best !== previous && best !== options.blankIndex) {
      text += options.vocabulary[best];
      scoreSum += row[best];
      emitted++;
    }
    previous = best;
  }
  return {
    text: options.trim ? text.trim() : text,
    confidence: emitted === 0 ? 0 : scoreSum / emitted,
  };
}

function rowOf(data: ScoreArray, start: number, classes: number, scores: CtcOptions['scores']): Scores {
  const row = data.subarray(start, start + classes);
  return scores === 'logits' ? softmax(row) : row;
}
