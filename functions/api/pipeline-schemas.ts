import * as z from './zod-mini';

/**
 * Schemas the data plane validates with: model names, pipelines (read back from the registry
 * by every predict request) and the predict request body. Written with Zod Mini
 * (`./zod-mini`) to keep the inference function's cold start short; `./schemas` re-exports
 * them for the admin API, the typed client and the CLI.
 */

/** Model names and aliases: URL-safe, no path separators, at most 64 characters. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** What `NAME_PATTERN` asks for, in the words of a validation message. */
export const NAME_RULE =
  'must be 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit';

/** A model name (Zod Mini); `./schemas` has the same rule for the admin API's bodies. */
const modelName = z.string().check(z.regex(NAME_PATTERN, NAME_RULE));

/**
 * Pipelines: what a model version declares so that `POST /v1/models/{name}/predict` can take
 * an image and answer its task's result. Stored on the version, read by
 * `functions/core/pipelines` (the rules and defaults are documented in docs/models.md).
 */

/** Image formats a pipeline may accept; anything else is `unsupported_image_type`. */
export const IMAGE_FORMATS = ['png', 'jpeg', 'webp'] as const;
/** The largest image a pipeline may accept, in pixels (width × height) before resizing. */
export const MAX_IMAGE_PIXELS = 4096 * 4096;
/** The largest tensor image a pipeline may build (height × width after resizing and padding). */
export const MAX_PIPELINE_TENSOR_PIXELS = 2048 * 2048;
/** The longest label or vocabulary list of a pipeline. */
export const MAX_PIPELINE_CLASSES = 100_000;

const pixels = (max: number) => z.int().check(z.minimum(1), z.maximum(max));
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

/** Stretch to exactly `width` × `height`. */
const fixedResizeSchema = z
  .strictObject({ mode: z.literal('fixed'), width: pixels(8192), height: pixels(8192) })
  .check(
    z.refine((resize) => resize.width * resize.height <= MAX_PIPELINE_TENSOR_PIXELS, {
      message: `width × height must be at most ${MAX_PIPELINE_TENSOR_PIXELS}`,
    }),
  );

/**
 * Scale to `height` keeping the aspect ratio (the width rounded up, at most `maxWidth`: wider
 * images are squeezed), then pad on the right with `padValue` (a tensor value, after
 * normalization) up to `minWidth` (default `maxWidth`). A model with a dynamic width takes
 * anything from `minWidth` to `maxWidth`; one with a fixed width needs `minWidth = maxWidth`.
 */
const fixedHeightResizeSchema = z
  .strictObject({
    mode: z.literal('fixed-height'),
    height: pixels(8192),
    maxWidth: pixels(8192),
    minWidth: z.optional(pixels(8192)),
    padValue: z._default(z.number(), 0),
  })
  .check(
    z.refine((resize) => resize.minWidth === undefined || resize.minWidth <= resize.maxWidth, {
      message: 'minWidth must be at most maxWidth',
      path: ['minWidth'],
    }),
    z.refine((resize) => resize.height * resize.maxWidth <= MAX_PIPELINE_TENSOR_PIXELS, {
      message: `height × maxWidth must be at most ${MAX_PIPELINE_TENSOR_PIXELS}`,
    }),
  );

const channelValues = (element: z.ZodMiniNumber) => z.array(element).check(z.minLength(1), z.maxLength(3));

/**
 * `mean-std`: `(pixel × scale − mean[c]) / std[c]` (scale 1/255 by default: ImageNet-style
 * statistics on [0, 1]). `scale`: `pixel × scale + offset`. One value applies to every channel.
 */
const normalizeSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('mean-std'),
    mean: channelValues(z.number()),
    std: channelValues(z.number().check(z.positive())),
    scale: z._default(z.number().check(z.positive()), 1 / 255),
  }),
  z.strictObject({ type: z.literal('scale'), scale: z.number(), offset: z._default(z.number(), 0) }),
]);

export const imageInputSchema = z.strictObject({
  type: z.literal('image'),
  /** The model input the image goes to; may be left out when the model has one input. */
  input: z.optional(text(1, 256)),
  formats: z._default(
    z.array(z.enum(IMAGE_FORMATS)).check(
      z.minLength(1),
      z.refine((formats) => new Set(formats).size === formats.length, 'must not name a format twice'),
    ),
    [...IMAGE_FORMATS],
  ),
  /** Larger images are refused (`image_too_large`) before they are decoded. */
  maxPixels: z._default(pixels(MAX_IMAGE_PIXELS), MAX_IMAGE_PIXELS),
  resize: z.discriminatedUnion('mode', [fixedResizeSchema, fixedHeightResizeSchema]),
  interpolation: z._default(z.enum(['nearest', 'linear', 'cubic', 'lanczos3']), 'linear'),
  normalize: normalizeSchema,
  /** Channel order of the tensor; `gray` is one luminance channel. */
  channels: z._default(z.enum(['RGB', 'BGR', 'gray']), 'RGB'),
  layout: z._default(z.enum(['NCHW', 'NHWC']), 'NCHW'),
});

/** Whether the model's output is already a probability distribution or needs a softmax. */
const scoresSchema = z.enum(['logits', 'probabilities']);

/** Top-k classes of an output [N, classes] (N = 1), with a label per class index. */
export const classificationOutputSchema = z.strictObject({
  type: z.literal('classification'),
  /** The model output to read; may be left out when the model has one output. */
  output: z.optional(text(1, 256)),
  scores: scoresSchema,
  labels: z
    .array(z.string().check(z.maxLength(256)))
    .check(z.minLength(1), z.maxLength(MAX_PIPELINE_CLASSES)),
  /** How many classes to answer unless the request asks for another number (`top_k`). */
  topK: z._default(z.int().check(z.minimum(1), z.maximum(100)), 5),
});

/**
 * Greedy CTC decoding of an output [N, steps, classes] (N = 1): the best class of each step,
 * repeats merged, blanks dropped; `vocabulary[i]` is the text of class `i` (the entry at
 * `blankIndex` is never emitted). Confidence: the mean score of the emitted classes.
 */
export const ctcOutputSchema = z
  .strictObject({
    type: z.literal('ctc'),
    output: z.optional(text(1, 256)),
    scores: scoresSchema,
    vocabulary: z
      .array(z.string().check(z.maxLength(64)))
      .check(z.minLength(2), z.maxLength(MAX_PIPELINE_CLASSES)),
    blankIndex: z._default(z.int().check(z.minimum(0)), 0),
    /** Drop whitespace at both ends of the text. */
    trim: z._default(z.boolean(), true),
  })
  .check(
    z.refine((ctc) => ctc.blankIndex < ctc.vocabulary.length, {
      message: 'blankIndex must be an index of vocabulary',
      path: ['blankIndex'],
    }),
  );

/**
 * A step before the model: a classification model (with a pipeline of its own) tells whether
 * the image is upside down; when its best label is `upsideDownLabel` with a score of at least
 * `minScore`, the image is turned 180° before the model sees it.
 */
export const orientationSchema = z.strictObject({
  model: modelName,
  /** Version number or alias of the classifier; `prod` when absent. */
  version: z.optional(z.string().check(z.regex(NAME_PATTERN, 'must be a version number or an alias'))),
  upsideDownLabel: text(1, 256),
  minScore: z._default(z.number().check(z.minimum(0), z.maximum(1)), 0.9),
});

/** The pipeline of a model version: image in, task result out. */
export const pipelineSchema = z.strictObject({
  input: imageInputSchema,
  output: z.discriminatedUnion('type', [classificationOutputSchema, ctcOutputSchema]),
  orientation: z.optional(orientationSchema),
});
/** A pipeline as stored and run (defaults applied). */
export type PipelineSpec = z.output<typeof pipelineSchema>;
/** A pipeline as declared (defaults may be left out). */
export type PipelineRequest = z.input<typeof pipelineSchema>;
export type ImageInputSpec = PipelineSpec['input'];
export type ImageResizeSpec = ImageInputSpec['resize'];
export type ImageNormalizeSpec = ImageInputSpec['normalize'];
export type ImageFormat = (typeof IMAGE_FORMATS)[number];
export type ClassificationOutputSpec = z.output<typeof classificationOutputSchema>;
export type CtcOutputSpec = z.output<typeof ctcOutputSchema>;
export type OrientationSpec = z.output<typeof orientationSchema>;

/** JSON body of `POST /v1/models/{name}/predict` (the other form is the image's bytes). */
export const predictRequestSchema = z.strictObject({
  /** The image file (PNG, JPEG or WebP), base64-encoded; a `data:image/...;base64,` URL is accepted. */
  image: z.string(),
  /** Classification: how many classes to answer (the pipeline's `topK` when absent). */
  top_k: z.optional(z.int().check(z.minimum(1), z.maximum(100))),
});
export type PredictRequest = z.infer<typeof predictRequestSchema>;
