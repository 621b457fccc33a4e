import type { Tensor } from '../../../functions/core/tensors/tensor';
import { createRandom, type Random } from '../random';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphBitmap } from './bitmap-font';

/**
 * Synthetic text-line images for the PaddleOCR text-direction classifier: words drawn
 * with a bitmap font in random colors, sizes and noise, half of them rotated by 180
 * degrees, then preprocessed exactly as PaddleOCR does for its classifier. They stand in
 * for real cropped text lines when calibrating and validating a quantized classifier.
 */

/** Input height and width of the classifier. */
export const LINE_HEIGHT = 48;
export const LINE_WIDTH = 192;

/** An RGB image, interleaved (HWC), 8-bit. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** One synthetic text line. */
export interface TextLine {
  readonly text: string;
  /** Rotated by 180 degrees: the classifier's class 1. */
  readonly flipped: boolean;
  /** The preprocessed input: CHW float32 [3, 48, 192], values in [-1, 1], zero-padded on the right. */
  readonly input: Float32Array;
}

const WORDS = [
  'the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'invoice', 'total', 'amount',
  'date', 'paid', 'shipping', 'address', 'street', 'phone', 'order', 'number', 'quantity', 'price',
  'hello', 'world', 'model', 'inference', 'lambda', 'cloud', 'tenant', 'key', 'hyphen', 'judge',
  'yesterday', 'playground', 'keyboard', 'display', 'quality', 'big', 'july', 'people', 'happy',
  'Berlin', 'Paris', 'Tokyo', 'Lagos', 'Quebec', 'London', 'OCR', 'Text', 'Page', 'Chapter',
]; // prettier-ignore

/** A random line of text: one to three words, sometimes a number. */
export function randomText(random: Random): string {
  const words: string[] = [];
  const count = 1 + random.int(2);
  for (let i = 0; i < count; i++) {
    if (random.next() < 0.15) words.push(String(random.int(100000)));
    else words.push(WORDS[random.int(WORDS.length)] ?? 'text');
  }
  return words.join(' ');
}

/** Options of {@link drawTextLine}. */
export interface DrawOptions {
  /** Font pixel size in image pixels. */
  readonly scale: number;
  readonly ink: readonly [number, number, number];
  readonly paper: readonly [number, number, number];
  /** Standard deviation of Gaussian pixel noise. */
  readonly noise: number;
  readonly random: Random;
}

/** Draws `text` on a tight canvas with a small margin, lightly blurred like a scan. */
export function drawTextLine(text: string, options: DrawOptions): RgbImage {
  const { scale, ink, paper, noise, random } = options;
  const margin = 1 + random.int(3);
  const advance = (GLYPH_WIDTH + 1) * scale;
  const width = text.length * advance + 2 * margin;
  const height = GLYPH_HEIGHT * scale + 2 * margin;
  const coverage = new Float32Array(width * height);
  for (let c = 0; c < text.length; c++) {
    const bitmap = glyphBitmap(text[c] ?? ' ');
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (bitmap[gy * GLYPH_WIDTH + gx] !== 1) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            coverage[(margin + gy * scale + dy) * width + margin + c * advance + gx * scale + dx] = 1;
          }
        }
      }
    }
  }
  const blurred = boxBlur(coverage, width, height);
  const data = new Uint8ClampedArray(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const alpha = blurred[i] ?? 0;
    for (let ch = 0; ch < 3; ch++) {
      data[i * 3 + ch] = (paper[ch] ?? 0) * (1 - alpha) + (ink[ch] ?? 0) * alpha + noise * random.normal();
    }
  }
  return { width, height, data };
}

/** A 3x3 box blur (mean over the neighbours inside the image), done as two 1-D passes. */
function boxBlur(values: Float32Array, width: number, height: number): Float32Array {
  const rows = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let sum = values[i];
      let count = 1;
      if (x > 0) {
        sum += values[i - 1];
        count++;
      }
      if (x < width - 1) {
        sum += values[i + 1];
        count++;
      }
      rows[i] = sum / count;
    }
  }
  const out = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let sum = rows[i];
      let count = 1;
      if (y > 0) {
        sum += rows[i - width];
        count++;
      }
      if (y < height - 1) {
        sum += rows[i + width];
        count++;
      }
      out[i] = sum / count;
    }
  }
  return out;
}

/** The image rotated by 180 degrees. */
export function rotate180(image: RgbImage): RgbImage {
  const { width, height } = image;
  const data = new Uint8ClampedArray(image.data.length);
  const pixels = width * height;
  for (let i = 0; i < pixels; i++) {
    const j = pixels - 1 - i;
    for (let ch = 0; ch < 3; ch++) data[j * 3 + ch] = image.data[i * 3 + ch] ?? 0;
  }
  return { width, height, data };
}

/**
 * PaddleOCR's classifier preprocessing (`resize_norm_img`): resize to height 48 keeping
 * the aspect ratio, width capped at 192 (bilinear), scale to [-1, 1] as
 * `(v / 255 - 0.5) / 0.5`, CHW, zero-padded on the right to 192.
 */
export function preprocessTextLine(image: RgbImage): Float32Array {
  const resizedWidth = Math.min(LINE_WIDTH, Math.ceil((LINE_HEIGHT * image.width) / image.height));
  const out = new Float32Array(3 * LINE_HEIGHT * LINE_WIDTH);
  const scaleX = image.width / resizedWidth;
  const scaleY = image.height / LINE_HEIGHT;
  for (let y = 0; y < LINE_HEIGHT; y++) {
    const sy = Math.min(image.height - 1, Math.max(0, (y + 0.5) * scaleY - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(image.height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < resizedWidth; x++) {
      const sx = Math.min(image.width - 1, Math.max(0, (x + 0.5) * scaleX - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(image.width - 1, x0 + 1);
      const fx = sx - x0;
      const { data, width } = image;
      const [i00, i01, i10, i11] = [
        (y0 * width + x0) * 3,
        (y0 * width + x1) * 3,
        (y1 * width + x0) * 3,
        (y1 * width + x1) * 3,
      ];
      for (let ch = 0; ch < 3; ch++) {
        const value =
          data[i00 + ch] * (1 - fx) * (1 - fy) +
          data[i01 + ch] * fx * (1 - fy) +
          data[i10 + ch] * (1 - fx) * fy +
          data[i11 + ch] * fx * fy;
        out[(ch * LINE_HEIGHT + y) * LINE_WIDTH + x] = (value / 255 - 0.5) / 0.5;
      }
    }
  }
  return out;
}

/**
 * `count` synthetic text lines from `seed`; odd indexes are rotated by 180 degrees, so
 * the two classes are balanced.
 *
 * @example
 * const lines = syntheticTextLines(64, 7);
 * const batch = textLineBatch(lines); // FP32 [64, 3, 48, 192]
 */
export function syntheticTextLines(count: number, seed: number): TextLine[] {
  const random = createRandom(seed);
  const lines: TextLine[] = [];
  for (let i = 0; i < count; i++) {
    const text = randomText(random);
    const dark = random.next() < 0.8;
    const light = (): [number, number, number] => [
      200 + random.int(56),
      200 + random.int(56),
      200 + random.int(56),
    ];
    const deep = (): [number, number, number] => [random.int(80), random.int(80), random.int(80)];
    const image = drawTextLine(text, {
      scale: 3 + random.int(3),
      ink: dark ? deep() : light(),
      paper: dark ? light() : deep(),
      noise: 4 + random.next() * 8,
      random,
    });
    const flipped = i % 2 === 1;
    lines.push({ text, flipped, input: preprocessTextLine(flipped ? rotate180(image) : image) });
  }
  return lines;
}

/** Stacks lines into one FP32 [N, 3, 48, 192] tensor. */
export function textLineBatch(lines: readonly TextLine[]): Tensor {
  const size = 3 * LINE_HEIGHT * LINE_WIDTH;
  const data = new Float32Array(lines.length * size);
  lines.forEach((line, index) => data.set(line.input, index * size));
  return { datatype: 'FP32', shape: [lines.length, 3, LINE_HEIGHT, LINE_WIDTH], data };
}
