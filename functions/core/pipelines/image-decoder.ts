import type { ImageFormat, ImageInputSpec } from '../../api/pipeline-schemas';
import type { ImageSize } from './geometry';
import type { RawImage } from './image-tensor';

/** What an image's header says, read without decoding its pixels. */
export interface ImageInfo extends ImageSize {
  readonly format: ImageFormat;
}

/** How to decode an image for one model. */
export interface DecodeRequest {
  /** Checked again while decoding; an image over it is `image_too_large`. */
  readonly maxPixels: number;
  /** Size of the pixels returned (the image is stretched to it). */
  readonly size: ImageSize;
  readonly channels: 1 | 3;
  readonly interpolation: ImageInputSpec['interpolation'];
}

/**
 * Port of the image codec (sharp in `functions/adapters/images`). Only PNG, JPEG and WebP
 * bytes reach it (the caller checks signatures first). EXIF orientation is applied, and
 * transparency is flattened onto white. Every failure that is the image's fault is a 400
 * with a code of `ImageErrorCode`; `probe` and `decode` of the same bytes agree.
 */
export interface ImageDecoder {
  /**
   * Reads the header: format and size after EXIF orientation. Throws `image_too_large` over
   * `maxPixels`, `empty_image` for an image without pixels, `invalid_image` for bytes that
   * are not a readable image.
   */
  probe(bytes: Uint8Array, maxPixels: number): Promise<ImageInfo>;
  /** Decodes and resizes to `request.size`; `invalid_image` for truncated or corrupt data. */
  decode(bytes: Uint8Array, request: DecodeRequest): Promise<RawImage>;
}
