import { BadRequestError } from '../errors';

/**
 * Codes of images the predict routes refuse (400), stable for clients to match on:
 * - `invalid_image`: not an image, or a truncated or corrupt one;
 * - `unsupported_image_type`: an image of a format the pipeline does not take;
 * - `image_too_large`: more pixels than the pipeline's `maxPixels`;
 * - `empty_image`: no bytes at all, or an image without pixels;
 * - `invalid_base64`: the JSON form's `image` is not base64.
 */
export type ImageErrorCode =
  'invalid_image' | 'unsupported_image_type' | 'image_too_large' | 'empty_image' | 'invalid_base64';

/** 400 for an image the pipeline cannot take; the message names what is wrong. */
export function imageError(code: ImageErrorCode, message: string, options?: ErrorOptions): BadRequestError {
  return new BadRequestError(code, message, options);
}

/** 400 `invalid_pipeline`: a declared pipeline that does not fit the model, naming every problem. */
export function invalidPipeline(problems: readonly string[]): BadRequestError {
  return new BadRequestError('invalid_pipeline', `Invalid pipeline: ${problems.join('; ')}`);
}
