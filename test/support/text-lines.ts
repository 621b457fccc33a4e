import sharp from 'sharp';

/** How a line of text is drawn. */
export interface TextLineStyle {
  /** @default 32 */
  readonly fontSize?: number;
  /** A family fontconfig finds; the DejaVu fonts are in /usr/share/fonts/truetype/dejavu/. @default 'DejaVu Sans' */
  readonly fontFamily?: string;
  /** White margin around the ink, in pixels, as a text detector's crop leaves. @default 8 */
  readonly margin?: number;
  /** Turn the finished line by 180°. @default false */
  readonly upsideDown?: boolean;
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A PNG of one line of black text on white, drawn by sharp (librsvg) from SVG, cropped to the
 * ink and given a white margin: what a text detector hands a recognizer.
 *
 * @example
 * const png = await renderTextLine('Hello World');
 */
export async function renderTextLine(text: string, style: TextLineStyle = {}): Promise<Buffer> {
  const fontSize = style.fontSize ?? 32;
  const margin = style.margin ?? 8;
  const width = Math.ceil(text.length * fontSize * 0.7) + 2 * fontSize;
  const height = Math.round(fontSize * 2);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="${fontSize}" y="${Math.round(fontSize * 1.35)}" font-family="${escapeXml(style.fontFamily ?? 'DejaVu Sans')}" ` +
    `font-size="${fontSize}" fill="black">${escapeXml(text)}</text></svg>`;
  const cropped = await sharp(Buffer.from(svg))
    .trim({ background: '#ffffff', threshold: 10 })
    .png()
    .toBuffer();
  let line = sharp(cropped).extend({
    top: margin,
    bottom: margin,
    left: margin,
    right: margin,
    background: '#ffffff',
  });
  if (style.upsideDown === true) line = sharp(await line.png().toBuffer()).rotate(180);
  return line.png().toBuffer();
}
