import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphBitmap } from '../../../models/recipes/text-direction/bitmap-font';
import { createRandom } from '../../../models/recipes/random';
import {
  LINE_HEIGHT,
  LINE_WIDTH,
  drawTextLine,
  preprocessTextLine,
  rotate180,
  syntheticTextLines,
  textLineBatch,
} from '../../../models/recipes/text-direction/synthetic-lines';

describe('bitmap font', () => {
  it('draws l with an ascender and p with a descender', () => {
    const ink = (char: string, row: number): boolean =>
      glyphBitmap(char)
        .subarray(row * GLYPH_WIDTH, (row + 1) * GLYPH_WIDTH)
        .some((cell) => cell === 1);

    expect(ink('l', 0)).toBe(true);
    expect(ink('l', GLYPH_HEIGHT - 1)).toBe(false);
    expect(ink('p', 0)).toBe(false);
    expect(ink('p', GLYPH_HEIGHT - 1)).toBe(true);
    expect(glyphBitmap('€')).toEqual(glyphBitmap(' '));
  });
});

describe('synthetic text lines', () => {
  const draw = (text: string) =>
    drawTextLine(text, {
      scale: 2,
      ink: [0, 0, 0],
      paper: [255, 255, 255],
      noise: 0,
      random: createRandom(1),
    });

  it('draws dark text on light paper on a tight canvas', () => {
    const image = draw('lp');

    // Glyphs at scale 2 plus a margin of 1 to 3 pixels on each side.
    expect(image.height).toBeGreaterThanOrEqual(GLYPH_HEIGHT * 2 + 2);
    expect(image.height).toBeLessThanOrEqual(GLYPH_HEIGHT * 2 + 6);
    expect(image.width - image.height).toBe(2 * (GLYPH_WIDTH + 1) * 2 - GLYPH_HEIGHT * 2);
    expect(Math.min(...image.data)).toBeLessThan(100);
    expect(Math.max(...image.data)).toBe(255);
  });

  it('rotates by 180 degrees, twice giving the image back', () => {
    const image = draw('bq');
    const rotated = rotate180(image);

    expect(rotated.data).not.toEqual(image.data);
    expect(rotate180(rotated)).toEqual(image);
    expect(rotated.data.slice(0, 3)).toEqual(image.data.slice(-3));
  });

  it('preprocesses like PaddleOCR: [3, 48, 192] in [-1, 1], zero padding right of the text', () => {
    const image = draw('ab'); // about 2.5 times wider than high: resized to about 120 wide
    const input = preprocessTextLine(image);
    const resizedWidth = Math.ceil((LINE_HEIGHT * image.width) / image.height);

    expect(input).toHaveLength(3 * LINE_HEIGHT * LINE_WIDTH);
    expect(Math.max(...input)).toBeLessThanOrEqual(1);
    expect(Math.min(...input)).toBeGreaterThanOrEqual(-1);
    expect(input[resizedWidth - 1]).toBeGreaterThan(0.9); // white margin
    expect(input[resizedWidth]).toBe(0); // padding
    expect(input[LINE_WIDTH - 1]).toBe(0);
  });

  it('is deterministic for a seed and alternates upright and rotated lines', () => {
    const lines = syntheticTextLines(4, 3);

    expect(syntheticTextLines(4, 3)).toEqual(lines);
    expect(lines.map((line) => line.flipped)).toEqual([false, true, false, true]);
    expect(textLineBatch(lines).shape).toEqual([4, 3, LINE_HEIGHT, LINE_WIDTH]);
  });
});
