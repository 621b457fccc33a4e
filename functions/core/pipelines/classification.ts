/** One class of a classification answer. */
export interface LabelScore {
  readonly label: string;
  readonly score: number;
}

/** Numbers a model output may hold (FP32 or FP64 tensor data). */
export type Scores = ArrayLike<number>;

/**
 * The softmax of `logits`, computed stably (the maximum is subtracted first, so large
 * logits do not overflow).
 *
 * @example
 * softmax([0, Math.log(3)]); // [0.25, 0.75]
 */
export function softmax(logits: Scores): Float64Array {
  const result = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    result[i] = Math.exp(logits[i] - max);
    sum += result[i];
  }
  for (let i = 0; i < result.length; i++) result[i] /= sum;
  return result;
}

/**
 * The `k` best classes, best first (equal scores in class order), each with its label.
 * `labels[i]` names class `i`.
 *
 * @example
 * topK([0.1, 0.7, 0.2], ['cat', 'dog', 'fox'], 2); // [{ label: 'dog', score: 0.7 }, { label: 'fox', score: 0.2 }]
 */
export function topK(scores: Scores, labels: readonly string[], k: number): LabelScore[] {
  if (scores.length !== labels.length) {
    throw new RangeError(`${scores.length} scores for ${labels.length} labels`);
  }
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((i) => ({ label: labels[i], score: scores[i] }));
}
