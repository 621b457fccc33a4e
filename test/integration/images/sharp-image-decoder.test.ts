import sharp from 'sharp';
import { SharpImageDecoder } from '../../../functions/adapters/images/sharp-image-decoder';
import { InfergateError } from '../../../functions/core/errors';
import { declaredSize, sniffImage } from '../../../functions/core/pipelines/image-format';

const decoder = new SharpImageDecoder();
const LIMIT = 4096 * 4096;

/** A solid image of `width` × `height` in one colour (with alpha when `alpha` is given). */
function solid(width: number, height: number, colour: { r: number; g: number; b: number; alpha?: number }) {
  return sharp({
    create: { width, height, channels: colour.alpha === undefined ? 3 : 4, background: colour },
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    if (error instanceof InfergateError) return `${error.status} ${error.code}`;
    throw error;
  }
}

describe('SharpImageDecoder', () => {
  it.each(['png', 'jpeg', 'webp'] as const)(
    'reads the size of a %s and decodes it to the size asked for',
    async (format) => {
      const bytes = await solid(40, 20, { r: 200, g: 100, b: 50 }).toFormat(format).toBuffer();

      const info = await decoder.probe(bytes, LIMIT);
      const image = await decoder.decode(bytes, {
        maxPixels: LIMIT,
        size: { width: 8, height: 4 },
        channels: 3,
        interpolation: 'linear',
      });

      expect(info).toEqual({ format, width: 40, height: 20 });
      expect(declaredSize(bytes, format)).toEqual({ width: 40, height: 20 });
      expect(image).toMatchObject({ width: 8, height: 4, channels: 3 });
      expect(image.data.length).toBe(8 * 4 * 3);
      const [r, g, b] = image.data;
      // Lossy formats move colours a little.
      expect([Math.abs(r - 200), Math.abs(g - 100), Math.abs(b - 50)].every((d) => d <= 6)).toBe(true);
    },
  );

  it('flattens transparency onto white and decodes 16-bit images to 8 bits', async () => {
    const bytes = await solid(2, 2, { r: 0, g: 0, b: 0, alpha: 0 }).toColourspace('rgb16').png().toBuffer();

    const image = await decoder.decode(bytes, {
      maxPixels: LIMIT,
      size: { width: 2, height: 2 },
      channels: 3,
      interpolation: 'nearest',
    });

    expect([...image.data]).toEqual(new Array(12).fill(255));
  });

  it('gives one channel for gray and three for a gray image read as RGB', async () => {
    const gray = await solid(3, 1, { r: 90, g: 90, b: 90 }).greyscale().png().toBuffer();

    const one = await decoder.decode(gray, {
      maxPixels: LIMIT,
      size: { width: 3, height: 1 },
      channels: 1,
      interpolation: 'nearest',
    });
    const three = await decoder.decode(gray, {
      maxPixels: LIMIT,
      size: { width: 3, height: 1 },
      channels: 3,
      interpolation: 'nearest',
    });

    expect(one.data.length).toBe(3);
    expect(three.data.length).toBe(9);
    expect(new Set(three.data).size).toBe(1);
  });

  it('applies EXIF orientation: a 40x20 JPEG tagged "rotate 90°" is 20x40', async () => {
    const bytes = await solid(40, 20, { r: 0, g: 0, b: 255 })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();

    const info = await decoder.probe(bytes, LIMIT);

    expect(info).toMatchObject({ width: 20, height: 40 });
  });

  it('refuses an image over the pixel limit before decoding it: 400 image_too_large', async () => {
    const bytes = await solid(300, 300, { r: 1, g: 2, b: 3 }).png().toBuffer();

    expect(await codeOf(decoder.probe(bytes, 300 * 300 - 1))).toBe('400 image_too_large');
    expect(
      await codeOf(
        decoder.decode(bytes, {
          maxPixels: 1000,
          size: { width: 1, height: 1 },
          channels: 3,
          interpolation: 'linear',
        }),
      ),
    ).toBe('400 image_too_large');
  });

  it('refuses truncated data when decoding (the header alone still reads): 400 invalid_image', async () => {
    const bytes = await solid(64, 64, { r: 9, g: 9, b: 9 }).png({ compressionLevel: 0 }).toBuffer();
    const truncated = bytes.subarray(0, bytes.length - 100);

    expect(await codeOf(decoder.probe(truncated, LIMIT))).toBe('none');
    expect(
      await codeOf(
        decoder.decode(truncated, {
          maxPixels: LIMIT,
          size: { width: 8, height: 8 },
          channels: 3,
          interpolation: 'linear',
        }),
      ),
    ).toBe('400 invalid_image');
  });

  it('refuses a corrupt header: 400 invalid_image', async () => {
    const bytes = await solid(4, 4, { r: 9, g: 9, b: 9 }).png().toBuffer();

    expect(await codeOf(decoder.probe(bytes.subarray(0, 30), LIMIT))).toBe('400 invalid_image');
  });

  it('reads a zero width from the header of each format', async () => {
    const png = Buffer.from(await solid(4, 3, { r: 9, g: 9, b: 9 }).png().toBuffer());
    png.writeUInt32BE(0, 16);
    const jpeg = Buffer.from(await solid(4, 3, { r: 9, g: 9, b: 9 }).jpeg().toBuffer());
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    jpeg.writeUInt16BE(0, sof + 7);

    expect(sniffImage(png)).toEqual({ kind: 'supported', format: 'png' });
    expect(declaredSize(png, 'png')).toEqual({ width: 0, height: 3 });
    expect(declaredSize(jpeg, 'jpeg')).toEqual({ width: 0, height: 3 });
  });

  it('reports a sharp that cannot load as 503 image_decoder_unavailable, and tries again later', async () => {
    let attempts = 0;
    const broken = new SharpImageDecoder({
      load: () => {
        attempts++;
        return Promise.reject(new Error('Could not load the "sharp" module'));
      },
    });

    expect(await codeOf(broken.probe(Uint8Array.of(1), LIMIT))).toBe('503 image_decoder_unavailable');
    expect(await codeOf(broken.probe(Uint8Array.of(1), LIMIT))).toBe('503 image_decoder_unavailable');
    expect(attempts).toBe(2);
  });
});
