import sharp from 'sharp';
import { createRandom } from '../random';
import { preprocessTextLine, randomText, type TextLine } from './synthetic-lines';

/**
 * Text-line images rendered from real fonts by sharp (librsvg, fontconfig): what a text
 * detector hands the PaddleOCR text-direction classifier, unlike the bitmap-font lines of
 * `synthetic-lines.ts`, which the float classifier finds much harder.
 */

/** Font families rendered, all of the DejaVu fonts in `/usr/share/fonts/truetype/dejavu/`. */
export const RENDER_FONTS = [
  'DejaVu Sans',
  'DejaVu Serif',
  'DejaVu Sans Mono',
  'DejaVu Sans Condensed',
  'DejaVu Sans Light',
] as const;

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * `count` lines of one to three words: a font of {@link RENDER_FONTS}, 20-48 px, dark ink
 * on light paper (grey levels drawn at random), cropped to the ink with a 2-11 px margin;
 * every other line (odd indices) turned by 180 degrees; then PaddleOCR's classifier
 * preprocessing. Deterministic for a seed (given the same fonts).
 *
 * @example
 * const lines = await renderedTextLines(400, 101); // 200 upright, 200 upside down
 */
export async function renderedTextLines(count: number, seed: number): Promise<TextLine[]> {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be an integer >= 0, got ${count}`);
  const random = createRandom(seed);
  const lines: TextLine[] = [];
  for (let i = 0; i < count; i++) {
    const text = randomText(random);
    const flipped = i % 2 === 1;
    const fontSize = 20 + random.int(29);
    const font = RENDER_FONTS[random.int(RENDER_FONTS.length)] ?? 'DejaVu Sans';
    const margin = 2 + random.int(10);
    const ink = random.int(80);
    const paper = 200 + random.int(56);
    const width = Math.ceil(text.length * fontSize * 0.7) + 2 * fontSize;
    const height = fontSize * 2;
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect width="100%" height="100%" fill="rgb(${paper},${paper},${paper})"/>` +
      `<text x="${fontSize}" y="${Math.round(fontSize * 1.35)}" font-family="${font}" font-size="${fontSize}" ` +
      `fill="rgb(${ink},${ink},${ink})">${escapeXml(text)}</text></svg>`;
    const background = { r: paper, g: paper, b: paper };
    const cropped = await sharp(Buffer.from(svg))
      .trim({ background, threshold: 10 })
      .extend({ top: margin, bottom: margin, left: margin, right: margin, background })
      .png()
      .toBuffer();
    const { data, info } = await sharp(cropped)
      .rotate(flipped ? 180 : 0)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const image = { width: info.width, height: info.height, data: new Uint8ClampedArray(data) };
    lines.push({ text, flipped, input: preprocessTextLine(image) });
  }
  return lines;
}
