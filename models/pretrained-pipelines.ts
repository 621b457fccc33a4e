import { readFile } from 'node:fs/promises';
import type { PipelineRequest } from '../functions/api/schemas';
import { DEMO_MODEL, PRETRAINED, pretrainedFile } from './pretrained';

/**
 * Pipelines of the pretrained PaddleOCR models, as PaddleOCR preprocesses them: RGB, height 48
 * keeping the aspect ratio, `(pixel / 255 − 0.5) / 0.5` (so [−1, 1]), CHW, padded on the right
 * with 0 after normalization.
 */

/** Classes of the text-direction classifier, in output order. */
export const TEXT_DIRECTION_LABELS = ['0', '180'] as const;

const paddleNormalize = (): PipelineRequest['input']['normalize'] => ({
  type: 'mean-std',
  mean: [0.5],
  std: [0.5],
  scale: 1 / 255,
});

/** The text-direction classifier: [1, 3, 48, 192] in, softmax over `0` and `180` out. */
export function textDirectionPipeline(): PipelineRequest {
  return {
    input: {
      type: 'image',
      resize: { mode: 'fixed-height', height: 48, maxWidth: 192, padValue: 0 },
      normalize: paddleNormalize(),
      channels: 'RGB',
      layout: 'NCHW',
    },
    output: { type: 'classification', scores: 'probabilities', labels: [...TEXT_DIRECTION_LABELS], topK: 2 },
  };
}

/** The OCR showcase model seeded by `npm start`: PP-OCRv4 text-line recognition. */
export const OCR_MODEL = {
  name: 'ocr',
  file: PRETRAINED.textRecognition,
  description:
    'PaddleOCR PP-OCRv4 text-line recognizer: POST a PNG, JPEG or WebP of one line of text to /v1/models/ocr/predict; upside-down lines are turned first',
} as const;

/**
 * The widest line the recognizer reads at once (wider images are squeezed): 1600 / 48 ≈ 33:1.
 * Its CTC output, 200 steps of 6625 FP32 scores (5.3 MB), stays under the 6 MB a SageMaker
 * response may carry when the scores travel as binary.
 */
export const OCR_MAX_WIDTH = 1600;

/**
 * The recognizer's pipeline: height 48, width from 320 (padded) to {@link OCR_MAX_WIDTH},
 * greedy CTC over the package's dictionary (class 0 is the blank, then one character per line
 * of `ppocr_keys_v1.txt`, then a space), and `orientationModel` as the orientation step.
 */
export async function ocrPipeline(orientationModel: string = DEMO_MODEL.name): Promise<PipelineRequest> {
  const keys = (await readFile(pretrainedFile(PRETRAINED.recognitionKeys), 'utf8')).split(/\r?\n/);
  if (keys.at(-1) === '') keys.pop();
  return {
    input: {
      type: 'image',
      resize: { mode: 'fixed-height', height: 48, minWidth: 320, maxWidth: OCR_MAX_WIDTH, padValue: 0 },
      normalize: paddleNormalize(),
      channels: 'RGB',
      layout: 'NCHW',
    },
    output: {
      type: 'ctc',
      scores: 'probabilities',
      vocabulary: ['', ...keys, ' '],
      blankIndex: 0,
      trim: true,
    },
    orientation: { model: orientationModel, upsideDownLabel: '180', minScore: 0.9 },
  };
}
