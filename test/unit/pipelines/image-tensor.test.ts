import { pipelineSchema, type ImageInputSpec, type PipelineRequest } from '../../../functions/api/schemas';
import { planResize } from '../../../functions/core/pipelines/geometry';
import { imageTensor, rotate180, type RawImage } from '../../../functions/core/pipelines/image-tensor';

/** An input spec with the schema's defaults, from the fields a test cares about. */
function inputSpec(input: Partial<PipelineRequest['input']>): ImageInputSpec {
  return pipelineSchema.parse({
    input: {
      type: 'image',
      resize: { mode: 'fixed', width: 2, height: 1 },
      normalize: { type: 'scale', scale: 1 },
      ...input,
    },
    output: { type: 'classification', scores: 'logits', labels: ['a'] },
  }).input;
}

/** 2x1 RGB: a red pixel, then a blue one. */
const RED_BLUE: RawImage = { width: 2, height: 1, channels: 3, data: Uint8Array.of(255, 0, 0, 0, 0, 255) };

describe('planResize', () => {
  it('stretches to a fixed size without padding', () => {
    const plan = planResize({ mode: 'fixed', width: 224, height: 224 }, { width: 640, height: 480 });

    expect(plan).toEqual({ resized: { width: 224, height: 224 }, tensor: { width: 224, height: 224 } });
  });

  it('keeps the aspect ratio at a fixed height, rounds the width up and pads to maxWidth', () => {
    const spec = { mode: 'fixed-height', height: 48, maxWidth: 192, padValue: 0 } as const;

    expect(planResize(spec, { width: 200, height: 100 })).toEqual({
      resized: { width: 96, height: 48 },
      tensor: { width: 192, height: 48 },
    });
    expect(planResize(spec, { width: 101, height: 100 }).resized.width).toBe(49);
  });

  it('squeezes images wider than maxWidth and pads only up to minWidth', () => {
    const spec = { mode: 'fixed-height', height: 48, minWidth: 320, maxWidth: 1000, padValue: 0 } as const;

    expect(planResize(spec, { width: 5000, height: 48 })).toEqual({
      resized: { width: 1000, height: 48 },
      tensor: { width: 1000, height: 48 },
    });
    expect(planResize(spec, { width: 480, height: 48 }).tensor.width).toBe(480);
    expect(planResize(spec, { width: 100, height: 48 }).tensor.width).toBe(320);
  });

  it('never makes a width of 0 from a tall, thin image', () => {
    const plan = planResize(
      { mode: 'fixed-height', height: 48, maxWidth: 100, padValue: 0 },
      { width: 1, height: 5000 },
    );

    expect(plan.resized.width).toBe(1);
  });
});

describe('imageTensor', () => {
  it('lays out NCHW as planes, one per channel', () => {
    const tensor = imageTensor(RED_BLUE, { width: 2, height: 1 }, inputSpec({ layout: 'NCHW' }));

    expect(tensor.shape).toEqual([1, 3, 1, 2]);
    expect([...tensor.data]).toEqual([255, 0, 0, 0, 0, 255]);
  });

  it('lays out NHWC as interleaved pixels', () => {
    const tensor = imageTensor(RED_BLUE, { width: 2, height: 1 }, inputSpec({ layout: 'NHWC' }));

    expect(tensor.shape).toEqual([1, 1, 2, 3]);
    expect([...tensor.data]).toEqual([255, 0, 0, 0, 0, 255]);
  });

  it('puts the channels in BGR order', () => {
    const tensor = imageTensor(
      RED_BLUE,
      { width: 2, height: 1 },
      inputSpec({ layout: 'NHWC', channels: 'BGR' }),
    );

    expect([...tensor.data]).toEqual([0, 0, 255, 255, 0, 0]);
  });

  it('takes one channel for gray', () => {
    const gray: RawImage = { width: 2, height: 1, channels: 1, data: Uint8Array.of(10, 20) };

    const tensor = imageTensor(gray, { width: 2, height: 1 }, inputSpec({ channels: 'gray' }));

    expect(tensor.shape).toEqual([1, 1, 1, 2]);
    expect([...tensor.data]).toEqual([10, 20]);
  });

  it('normalizes with a scale and an offset', () => {
    const tensor = imageTensor(
      RED_BLUE,
      { width: 2, height: 1 },
      inputSpec({ normalize: { type: 'scale', scale: 1 / 255, offset: -0.5 } }),
    );

    expect([...tensor.data]).toEqual([0.5, -0.5, -0.5, -0.5, -0.5, 0.5]);
  });

  it('normalizes with per-channel mean and std on [0, 1] (ImageNet)', () => {
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];

    const tensor = imageTensor(
      RED_BLUE,
      { width: 2, height: 1 },
      inputSpec({ normalize: { type: 'mean-std', mean, std } }),
    );

    const expected = [
      (1 - mean[0]) / std[0],
      -mean[0] / std[0],
      -mean[1] / std[1],
      -mean[1] / std[1],
      -mean[2] / std[2],
      (1 - mean[2]) / std[2],
    ];
    [...tensor.data].forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
  });

  it("maps PaddleOCR's (x / 255 - 0.5) / 0.5 onto [-1, 1]", () => {
    const image: RawImage = { width: 1, height: 1, channels: 3, data: Uint8Array.of(0, 255, 51) };

    const tensor = imageTensor(
      image,
      { width: 1, height: 1 },
      inputSpec({
        resize: { mode: 'fixed', width: 1, height: 1 },
        normalize: { type: 'mean-std', mean: [0.5], std: [0.5] },
      }),
    );

    expect(tensor.data[0]).toBeCloseTo(-1, 6);
    expect(tensor.data[1]).toBeCloseTo(1, 6);
    expect(tensor.data[2]).toBeCloseTo(-0.6, 6);
  });

  it('pads the columns right of the image with padValue, in every channel', () => {
    const spec = inputSpec({
      resize: { mode: 'fixed-height', height: 1, maxWidth: 4, padValue: -7 },
      layout: 'NCHW',
    });

    const tensor = imageTensor(RED_BLUE, { width: 4, height: 1 }, spec);

    expect(tensor.shape).toEqual([1, 3, 1, 4]);
    expect([...tensor.data]).toEqual([255, 0, -7, -7, 0, 0, -7, -7, 0, 255, -7, -7]);
  });

  it('refuses pixels that do not fit the tensor', () => {
    expect(() => imageTensor(RED_BLUE, { width: 1, height: 1 }, inputSpec({}))).toThrow(RangeError);
    expect(() => imageTensor(RED_BLUE, { width: 2, height: 1 }, inputSpec({ channels: 'gray' }))).toThrow(
      RangeError,
    );
  });
});

describe('rotate180', () => {
  it('reverses the pixels and keeps each pixel whole', () => {
    const image: RawImage = {
      width: 2,
      height: 2,
      channels: 3,
      data: Uint8Array.from({ length: 12 }, (_, i) => i),
    };

    const rotated = rotate180(image);

    expect([...rotated.data]).toEqual([9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1, 2]);
    expect([...rotate180(rotated).data]).toEqual([...image.data]);
  });
});
