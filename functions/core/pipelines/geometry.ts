import type { ImageResizeSpec } from '../../api/pipeline-schemas';

/** Pixel size of an image. */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** Where an image goes: resized to `resized`, then padded on the right up to `tensor`. */
export interface ResizePlan {
  readonly resized: ImageSize;
  readonly tensor: ImageSize;
}

/**
 * The sizes a resize step produces for an image of `source` size:
 * - `fixed`: the image is stretched to `width` × `height`, no padding;
 * - `fixed-height`: scaled to `height` keeping the aspect ratio, the width rounded up
 *   (at least 1, at most `maxWidth`), then padded to `minWidth` (default `maxWidth`).
 *
 * @example
 * planResize({ mode: 'fixed-height', height: 48, maxWidth: 192, padValue: 0 }, { width: 200, height: 100 });
 * // { resized: { width: 96, height: 48 }, tensor: { width: 192, height: 48 } }
 */
export function planResize(spec: ImageResizeSpec, source: ImageSize): ResizePlan {
  if (spec.mode === 'fixed') {
    const size = { width: spec.width, height: spec.height };
    return { resized: size, tensor: size };
  }
  const scaled = Math.ceil((spec.height * source.width) / source.height);
  const width = Math.min(spec.maxWidth, Math.max(1, scaled));
  return {
    resized: { width, height: spec.height },
    tensor: { width: Math.max(spec.minWidth ?? spec.maxWidth, width), height: spec.height },
  };
}
