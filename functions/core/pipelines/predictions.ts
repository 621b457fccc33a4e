import type { PipelineSpec } from '../../api/pipeline-schemas';
import type { ClassificationPrediction, TextPrediction } from '../../api/views';
import { InfergateError } from '../errors';
import type { Tensor } from '../tensors/tensor';
import { softmax, topK } from './classification';
import { ctcGreedyDecode, type ScoreArray } from './ctc';

/** What a task answers, before the model's name and version are added. */
export type TaskResult =
  Pick<ClassificationPrediction, 'labels'> | Pick<TextPrediction, 'text' | 'confidence'>;

/**
 * Reads a task's result from the model's output tensor: the top `k` labels
 * (`k` defaults to the pipeline's `topK`) or the CTC-decoded text. A tensor that does not
 * have the shape the pipeline was registered for is a 500 `pipeline_output_mismatch`.
 *
 * @example
 * taskResult(spec.output, outputs.probabilities, 3); // { labels: [{ label: 'cat', score: 0.9 }, ...] }
 */
export function taskResult(output: PipelineSpec['output'], tensor: Tensor, k?: number): TaskResult {
  const data = scoresOf(tensor);
  if (output.type === 'classification') {
    const classes = output.labels.length;
    if (tensor.shape.length !== 2 || tensor.shape[0] !== 1 || tensor.shape[1] !== classes) {
      throw mismatch(tensor, `[1, ${classes}]`);
    }
    const scores = output.scores === 'logits' ? softmax(data) : data;
    return { labels: topK(scores, output.labels, k ?? output.topK) };
  }
  const classes = output.vocabulary.length;
  if (tensor.shape.length !== 3 || tensor.shape[0] !== 1 || tensor.shape[2] !== classes) {
    throw mismatch(tensor, `[1, steps, ${classes}]`);
  }
  return ctcGreedyDecode(data, tensor.shape[1], output);
}

function scoresOf(tensor: Tensor): ScoreArray {
  if (tensor.data instanceof Float32Array || tensor.data instanceof Float64Array) return tensor.data;
  throw new InfergateError(
    500,
    'pipeline_output_mismatch',
    `The model answered ${tensor.datatype} scores; the pipeline reads FP32 or FP64`,
  );
}

function mismatch(tensor: Tensor, expected: string): InfergateError {
  return new InfergateError(
    500,
    'pipeline_output_mismatch',
    `The model answered an output of shape [${tensor.shape.join(', ')}]; the pipeline reads ${expected}`,
  );
}
