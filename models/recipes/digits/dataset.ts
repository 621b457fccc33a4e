import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Random } from '../random';

/** Pixels per image (8x8) and classes (digits 0-9). */
export const DIGITS_FEATURES = 64;
export const DIGITS_CLASSES = 10;
/** Largest pixel value of the data set; inputs are divided by it to lie in [0, 1]. */
export const DIGITS_PIXEL_MAX = 16;

/** `models/data/digits.csv.gz`: see `models/data/README.md` for its provenance. */
export const DIGITS_DATA_FILE = path.join(__dirname, '..', '..', 'data', 'digits.csv.gz');

/** Images and labels, row-major. */
export interface DigitsDataset {
  readonly count: number;
  /** `count x 64` pixels scaled to [0, 1]. */
  readonly features: Float32Array;
  /** `count` labels in 0..9. */
  readonly labels: Uint8Array;
}

/**
 * Parses the CSV: 64 pixel values (0..16) then the label per line, no header. Throws a
 * `RangeError` naming the line for anything else.
 */
export function parseDigitsCsv(text: string): DigitsDataset {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const features = new Float32Array(lines.length * DIGITS_FEATURES);
  const labels = new Uint8Array(lines.length);
  lines.forEach((line, row) => {
    const values = line.split(',').map(Number);
    if (values.length !== DIGITS_FEATURES + 1 || values.some((value) => !Number.isInteger(value))) {
      throw new RangeError(`digits line ${row + 1}: expected 65 integers, got "${line.slice(0, 40)}..."`);
    }
    for (let i = 0; i < DIGITS_FEATURES; i++) {
      const pixel = values[i] ?? 0;
      if (pixel < 0 || pixel > DIGITS_PIXEL_MAX) {
        throw new RangeError(`digits line ${row + 1}: pixel ${i} is ${pixel}, outside 0..16`);
      }
      features[row * DIGITS_FEATURES + i] = pixel / DIGITS_PIXEL_MAX;
    }
    const label = values[DIGITS_FEATURES] ?? -1;
    if (label < 0 || label >= DIGITS_CLASSES) {
      throw new RangeError(`digits line ${row + 1}: label ${label} is outside 0..9`);
    }
    labels[row] = label;
  });
  return { count: lines.length, features, labels };
}

/** Reads and parses `digits.csv.gz`. */
export async function loadDigits(file: string = DIGITS_DATA_FILE): Promise<DigitsDataset> {
  return parseDigitsCsv(gunzipSync(await readFile(file)).toString('utf8'));
}

/** Row indexes of a train / held-out split. */
export interface DigitsSplit {
  readonly train: readonly number[];
  readonly heldOut: readonly number[];
}

/**
 * Splits rows so that each class keeps its proportion in both parts: per class, a
 * shuffled `round(n * heldOutFraction)` rows are held out. Indexes come back sorted.
 *
 * @example
 * const { train, heldOut } = stratifiedSplit(dataset.labels, 0.2, createRandom(42));
 */
export function stratifiedSplit(labels: Uint8Array, heldOutFraction: number, random: Random): DigitsSplit {
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
    throw new RangeError(`heldOutFraction must be in (0, 1), got ${heldOutFraction}`);
  }
  const byClass = new Map<number, number[]>();
  labels.forEach((label, index) => byClass.set(label, [...(byClass.get(label) ?? []), index]));
  const train: number[] = [];
  const heldOut: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = random.shuffle([...(byClass.get(label) ?? [])]);
    const cut = Math.round(rows.length * heldOutFraction);
    heldOut.push(...rows.slice(0, cut));
    train.push(...rows.slice(cut));
  }
  return { train: train.sort((a, b) => a - b), heldOut: heldOut.sort((a, b) => a - b) };
}

/** The rows `indexes` of a data set, in that order. */
export function selectRows(dataset: DigitsDataset, indexes: readonly number[]): DigitsDataset {
  const features = new Float32Array(indexes.length * DIGITS_FEATURES);
  const labels = new Uint8Array(indexes.length);
  indexes.forEach((row, i) => {
    features.set(
      dataset.features.subarray(row * DIGITS_FEATURES, (row + 1) * DIGITS_FEATURES),
      i * DIGITS_FEATURES,
    );
    labels[i] = dataset.labels[row] ?? 0;
  });
  return { count: indexes.length, features, labels };
}
