import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readModelMetadata } from '../onnx/metadata';
import { PRETRAINED, pretrainedFile } from '../pretrained';
import type { Feeds } from '../quantize/calibrate';
import type { EvaluationSet } from '../quantize/evaluate';
import { DIGITS_FEATURES, loadDigits, selectRows } from './digits/dataset';
import { DIGITS_INPUT, DIGITS_METADATA, DIGITS_RECIPE } from './digits/export-onnx';
import { digitsSplit } from './digits/train';
import { renderedTextLines } from './text-direction/rendered-lines';
import { syntheticTextLines, textLineBatch, type TextLine } from './text-direction/synthetic-lines';

/**
 * Evaluation data for the models this repository knows: the held-out split of a model
 * trained by the digits recipe (found by its metadata), and text lines rendered from
 * fonts for the pretrained PaddleOCR text-direction classifier (found by its SHA-256).
 */

/** Calibration rows taken from the digits training split (never the held-out rows). */
const DIGITS_CALIBRATION_ROWS = 256;
const CALIBRATION_BATCH = 32;

/**
 * The evaluation set of the digits model a file holds: validation on the held-out split
 * rebuilt from the seed in its metadata, calibration on training rows.
 */
export async function digitsEvaluationSet(bytes: Uint8Array): Promise<EvaluationSet | undefined> {
  const metadata = readModelMetadata(bytes);
  if (metadata[DIGITS_METADATA.recipe] !== DIGITS_RECIPE) return undefined;
  const seed = Number(metadata[DIGITS_METADATA.seed]);
  const fraction = Number(metadata[DIGITS_METADATA.heldOutFraction] ?? '0.2');
  if (!Number.isInteger(seed) || !(fraction > 0 && fraction < 1)) return undefined;
  const dataset = await loadDigits();
  const split = digitsSplit(dataset, seed, fraction);
  const heldOut = selectRows(dataset, split.heldOut);
  const calibration: Feeds[] = [];
  for (
    let start = 0;
    start < Math.min(DIGITS_CALIBRATION_ROWS, split.train.length);
    start += CALIBRATION_BATCH
  ) {
    const rows = selectRows(dataset, split.train.slice(start, start + CALIBRATION_BATCH));
    calibration.push({
      [DIGITS_INPUT]: { datatype: 'FP32', shape: [rows.count, DIGITS_FEATURES], data: rows.features },
    });
  }
  return {
    description: `the ${heldOut.count} held-out digits of the model's training split (seed ${seed}); calibration on ${DIGITS_CALIBRATION_ROWS} training rows`,
    calibration,
    validation: [
      {
        [DIGITS_INPUT]: { datatype: 'FP32', shape: [heldOut.count, DIGITS_FEATURES], data: heldOut.features },
      },
    ],
    labels: heldOut.labels,
  };
}

/** Sizes of the synthetic text-line sets. */
export const TEXT_LINE_SET = {
  validation: 400,
  calibration: 32,
  batch: 50,
  validationSeed: 1,
  calibrationSeed: 11,
};

/** Synthetic text lines for the PaddleOCR text-direction classifier (input `x`). */
export function textLineEvaluationSet(sizes: Partial<typeof TEXT_LINE_SET> = {}): EvaluationSet {
  const { validation, calibration, batch, validationSeed, calibrationSeed } = { ...TEXT_LINE_SET, ...sizes };
  const batches = (lines: readonly TextLine[], size: number): Feeds[] => {
    const out: Feeds[] = [];
    for (let start = 0; start < lines.length; start += size)
      out.push({ x: textLineBatch(lines.slice(start, start + size)) });
    return out;
  };
  const validationLines = syntheticTextLines(validation, validationSeed);
  return {
    description: `${validation} synthetic text lines drawn in code (bitmap-font words, random colors, sizes and noise; half rotated 180 degrees), PaddleOCR preprocessing; calibration on ${calibration} other lines`,
    calibration: batches(syntheticTextLines(calibration, calibrationSeed), 1),
    validation: batches(validationLines, batch),
    labels: validationLines.map((line) => (line.flipped ? 1 : 0)),
  };
}

/** Sizes of the rendered text-line sets (seeds differ, so calibration lines are not validation lines). */
export const RENDERED_LINE_SET = {
  validation: 600,
  calibration: 32,
  batch: 50,
  validationSeed: 101,
  calibrationSeed: 111,
};

const batchesOf = (lines: readonly TextLine[], size: number): Feeds[] => {
  const out: Feeds[] = [];
  for (let start = 0; start < lines.length; start += size)
    out.push({ x: textLineBatch(lines.slice(start, start + size)) });
  return out;
};

/**
 * Text lines rendered from the DejaVu fonts by sharp for the PaddleOCR text-direction
 * classifier (input `x`): validation on 600 lines, half upside down; calibration on 32
 * lines of another seed. The default evaluation set of the classifier.
 */
export async function renderedTextLineEvaluationSet(
  sizes: Partial<typeof RENDERED_LINE_SET> = {},
): Promise<EvaluationSet> {
  const { validation, calibration, batch, validationSeed, calibrationSeed } = {
    ...RENDERED_LINE_SET,
    ...sizes,
  };
  const validationLines = await renderedTextLines(validation, validationSeed);
  return {
    description: `${validation} text lines rendered by sharp in 5 DejaVu fonts (20-48 px, grey ink on light paper; every other line rotated 180 degrees), PaddleOCR preprocessing; calibration on ${calibration} other rendered lines`,
    calibration: batchesOf(await renderedTextLines(calibration, calibrationSeed), 1),
    validation: batchesOf(validationLines, batch),
    labels: validationLines.map((line) => (line.flipped ? 1 : 0)),
  };
}

let textDirectionSha256: string | undefined;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether the bytes are the pretrained text-direction classifier of `models/pretrained.ts`. */
export function isPretrainedTextDirection(bytes: Uint8Array): boolean {
  if (textDirectionSha256 === undefined) {
    let file: string;
    try {
      file = pretrainedFile(PRETRAINED.textDirection);
    } catch {
      return false;
    }
    if (!existsSync(file)) return false;
    textDirectionSha256 = sha256(readFileSync(file));
  }
  return sha256(bytes) === textDirectionSha256;
}

/** The evaluation set this repository has for a model, if any. */
export async function knownEvaluationSet(bytes: Uint8Array): Promise<EvaluationSet | undefined> {
  const digits = await digitsEvaluationSet(bytes);
  if (digits !== undefined) return digits;
  return isPretrainedTextDirection(bytes) ? renderedTextLineEvaluationSet() : undefined;
}
