import type { ImageInputSpec } from '../../api/pipeline-schemas';
import type { Tensor } from '../tensors/tensor';
import type { ImageSize } from './geometry';

/** Decoded pixels: `height` rows of `width` pixels of `channels` bytes (RGB, or gray), row-major. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/**
 * The image turned by 180°: the pixel order reversed, each pixel's channels kept.
 *
 * @example
 * rotate180({ width: 2, height: 1, channels: 1, data: Uint8Array.of(1, 2) }).data; // [2, 1]
 */
export function rotate180(image: RawImage): RawImage {
  const { channels } = image;
  const pixels = image.width * image.height;
  const data = new Uint8Array(image.data.length);
  for (let p = 0; p < pixels; p++) {
    const from = p * channels;
    const to = (pixels - 1 - p) * channels;
    for (let c = 0; c < channels; c++) data[to + c] = image.data[from + c];
  }
  return { ...image, data };
}

/** Channels a pipeline decodes: one for `gray`, three (RGB) otherwise. */
export function decodedChannels(channels: ImageInputSpec['channels']): 1 | 3 {
  return channels === 'gray' ? 1 : 3;
}

/**
 * Turns decoded pixels into the model's input tensor: FP32 `[1, C, H, W]` (NCHW) or
 * `[1, H, W, C]` (NHWC) of `tensor` size. Pixels are normalized (see `normalize`), channels
 * put in the declared order (RGB, BGR or gray), and the columns right of the image filled
 * with the resize step's `padValue` (0 for a fixed size, which has no padding).
 *
 * @example
 * const input = imageTensor(image, { width: 192, height: 48 }, spec.input);
 */
export function imageTensor(image: RawImage, tensor: ImageSize, spec: ImageInputSpec): Tensor {
  const channels = decodedChannels(spec.channels);
  if (image.channels !== channels) {
    throw new RangeError(`The image has ${image.channels} channels; the pipeline needs ${channels}`);
  }
  if (image.width > tensor.width || image.height !== tensor.height) {
    throw new RangeError(
      `An image of ${image.width}x${image.height} does not fit a tensor of ${tensor.width}x${tensor.height}`,
    );
  }
  const { width: W, height: H } = tensor;
  const padValue = spec.resize.mode === 'fixed-height' ? spec.resize.padValue : 0;
  const data = new Float32Array(channels * H * W).fill(padValue);
  const transform = channelTransforms(spec, channels);
  // Source channel of each tensor channel: BGR reads RGB backwards.
  const sourceChannel = spec.channels === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const nchw = spec.layout === 'NCHW';
  for (let c = 0; c < channels; c++) {
    const { scale, offset } = transform[c];
    const from = sourceChannel[c];
    for (let y = 0; y < image.height; y++) {
      const row = y * image.width;
      for (let x = 0; x < image.width; x++) {
        const value = image.data[(row + x) * channels + from] * scale + offset;
        data[nchw ? (c * H + y) * W + x : (y * W + x) * channels + c] = value;
      }
    }
  }
  return { datatype: 'FP32', shape: nchw ? [1, channels, H, W] : [1, H, W, channels], data };
}

/**
 * Each tensor channel's normalization as `pixel × scale + offset`:
 * `mean-std` is `(pixel × s − mean) / std`, that is scale `s / std` and offset `−mean / std`.
 * One mean or std value applies to every channel.
 */
export function channelTransforms(
  spec: Pick<ImageInputSpec, 'normalize'>,
  channels: number,
): { scale: number; offset: number }[] {
  const { normalize } = spec;
  return Array.from({ length: channels }, (_, c) => {
    if (normalize.type === 'scale') return { scale: normalize.scale, offset: normalize.offset };
    const mean = normalize.mean.length === 1 ? normalize.mean[0] : normalize.mean[c];
    const std = normalize.std.length === 1 ? normalize.std[0] : normalize.std[c];
    return { scale: normalize.scale / std, offset: -mean / std };
  });
}
