import type { Sharp, SharpOptions } from 'sharp';
import type { ImageFormat } from '../../api/pipeline-schemas';
import { InfergateError, UnavailableError } from '../../core/errors';
import { imageError } from '../../core/pipelines/errors';
import type { DecodeRequest, ImageDecoder, ImageInfo } from '../../core/pipelines/image-decoder';
import type { RawImage } from '../../core/pipelines/image-tensor';

type SharpModule = (typeof import('sharp'))['default'];

export interface SharpImageDecoderOptions {
  /**
   * Loads sharp. It is loaded on first use, so that a function that never decodes an image
   * does not pay for (or depend on) its native library at cold start.
   * @default `import('sharp')`
   */
  readonly load?: () => Promise<SharpModule>;
}

const WHITE = { r: 255, g: 255, b: 255 };

/**
 * The image codec on sharp (libvips). Decoding is strict: `failOn: 'truncated'` refuses
 * truncated data, and `limitInputPixels` refuses images over the pipeline's pixel limit
 * before their pixels are decoded. EXIF orientation is applied; transparency is flattened
 * onto white (text on a transparent background stays dark on light).
 *
 * @example
 * const decoder = new SharpImageDecoder();
 * const info = await decoder.probe(bytes, 16_777_216);
 */
export class SharpImageDecoder implements ImageDecoder {
  private readonly load: () => Promise<SharpModule>;
  private loaded?: Promise<SharpModule>;

  public constructor(options: SharpImageDecoderOptions = {}) {
    this.load = options.load ?? (async () => (await import('sharp')).default);
  }

  public async probe(bytes: Uint8Array, maxPixels: number): Promise<ImageInfo> {
    const image = await this.open(bytes, maxPixels);
    const metadata = await readImage(() => image.metadata());
    const { width, height } = metadata.autoOrient;
    if (!(width > 0 && height > 0)) {
      throw imageError('empty_image', `The image has no pixels (${width ?? 0}x${height ?? 0})`);
    }
    if (width * height > maxPixels) throw tooLarge(width, height, maxPixels);
    const format = toFormat(metadata.format);
    if (format === undefined) {
      throw imageError('unsupported_image_type', `Images of type "${metadata.format}" are not accepted`);
    }
    return { format, width, height };
  }

  public async decode(bytes: Uint8Array, request: DecodeRequest): Promise<RawImage> {
    const image = await this.open(bytes, request.maxPixels);
    const { width, height } = request.size;
    const { data, info } = await readImage(() =>
      image
        .flatten({ background: WHITE })
        .resize(width, height, { fit: 'fill', kernel: request.interpolation })
        .toColourspace(request.channels === 1 ? 'b-w' : 'srgb')
        .removeAlpha()
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true }),
    );
    if (info.width !== width || info.height !== height || info.channels !== request.channels) {
      throw new Error(
        `sharp returned ${info.width}x${info.height}x${info.channels}, not ${width}x${height}x${request.channels}`,
      );
    }
    return {
      width,
      height,
      channels: request.channels,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  }

  private async open(bytes: Uint8Array, maxPixels: number): Promise<Sharp> {
    const sharp = await this.sharp();
    const options: SharpOptions = { failOn: 'truncated', limitInputPixels: maxPixels, autoOrient: true };
    return sharp(bytes, options);
  }

  private sharp(): Promise<SharpModule> {
    this.loaded ??= this.load().then(
      (sharp) => {
        // Each image is decoded once: libvips' operation cache would only hold memory.
        sharp.cache(false);
        return sharp;
      },
      (error: unknown) => {
        this.loaded = undefined;
        throw new UnavailableError('image_decoder_unavailable', 'Image decoding is not available', {
          cause: error,
        });
      },
    );
    return this.loaded;
  }
}

function toFormat(format: string): ImageFormat | undefined {
  return format === 'png' || format === 'jpeg' || format === 'webp' ? format : undefined;
}

function tooLarge(width: number, height: number, maxPixels: number): InfergateError {
  return imageError(
    'image_too_large',
    `The image is ${width}x${height} (${width * height} pixels); the limit is ${maxPixels} pixels`,
  );
}

/** Runs a sharp operation; its failures are the image's: `image_too_large` or `invalid_image`. */
async function readImage<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0].slice(0, 200) : 'unreadable';
    if (/pixel limit/i.test(reason)) {
      throw imageError('image_too_large', 'The image has more pixels than the pipeline accepts', {
        cause: error,
      });
    }
    throw imageError(
      'invalid_image',
      `The image could not be decoded; it is truncated or corrupt (${reason})`,
      {
        cause: error,
      },
    );
  }
}
