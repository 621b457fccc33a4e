import { createRandom } from '../../../models/recipes/random';
import {
  DIGITS_FEATURES,
  loadDigits,
  parseDigitsCsv,
  selectRows,
  stratifiedSplit,
} from '../../../models/recipes/digits/dataset';

const ROW = (label: number, pixel = 16): string => [...new Array<number>(64).fill(pixel), label].join(',');

describe('digits data', () => {
  it('loads the 1,797 rows of the committed copy, every class present', async () => {
    const dataset = await loadDigits();

    expect(dataset.count).toBe(1797);
    expect(dataset.features).toHaveLength(1797 * DIGITS_FEATURES);
    expect(new Set(dataset.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(Math.max(...dataset.features)).toBe(1);
    expect(Math.min(...dataset.features)).toBe(0);
  });

  it('scales pixels by 1/16 and keeps the label', () => {
    const dataset = parseDigitsCsv(`${ROW(3, 8)}\n${ROW(7, 16)}\n`);

    expect(dataset.count).toBe(2);
    expect(dataset.features[0]).toBe(0.5);
    expect(dataset.features[64]).toBe(1);
    expect(Array.from(dataset.labels)).toEqual([3, 7]);
  });

  it.each([
    ['1,2,3', 'digits line 1: expected 65 integers'],
    [ROW(3, 17), 'digits line 1: pixel 0 is 17, outside 0..16'],
    [ROW(10), 'digits line 1: label 10 is outside 0..9'],
  ])('refuses a bad line (%#)', (line, message) => {
    expect(() => parseDigitsCsv(line)).toThrow(message);
  });

  it('holds out the same share of every class, disjoint from training, the same for a seed', () => {
    const labels = Uint8Array.from({ length: 1000 }, (_, i) => i % 10);

    const split = stratifiedSplit(labels, 0.2, createRandom(42));
    const again = stratifiedSplit(labels, 0.2, createRandom(42));

    expect(split).toEqual(again);
    expect(split.heldOut).toHaveLength(200);
    expect(split.train).toHaveLength(800);
    for (let label = 0; label < 10; label++) {
      expect(split.heldOut.filter((row) => labels[row] === label)).toHaveLength(20);
    }
    const heldOut = new Set(split.heldOut);
    expect(split.train.some((row) => heldOut.has(row))).toBe(false);
  });

  it('selects rows in the order asked', () => {
    const dataset = parseDigitsCsv([ROW(1, 1), ROW(2, 2), ROW(3, 3)].join('\n'));

    const rows = selectRows(dataset, [2, 0]);

    expect(Array.from(rows.labels)).toEqual([3, 1]);
    expect(rows.features[0]).toBe(3 / 16);
  });
});
