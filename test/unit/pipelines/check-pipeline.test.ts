import { pipelineSchema, type PipelineRequest } from '../../../functions/api/schemas';
import { BadRequestError } from '../../../functions/core/errors';
import { checkPipeline } from '../../../functions/core/pipelines/check-pipeline';
import type { TensorSpec } from '../../../functions/core/tensors/datatypes';

const CLS_INPUT: TensorSpec = { name: 'x', datatype: 'FP32', shape: [-1, 3, 48, 192] };
const CLS_OUTPUT: TensorSpec = { name: 'probs', datatype: 'FP32', shape: [-1, 2] };
const REC_INPUT: TensorSpec = { name: 'x', datatype: 'FP32', shape: [-1, 3, 48, -1] };
const REC_OUTPUT: TensorSpec = { name: 'probs', datatype: 'FP32', shape: [-1, -1, 4] };

function spec(
  overrides: { input?: Partial<PipelineRequest['input']>; output?: PipelineRequest['output'] } = {},
) {
  return pipelineSchema.parse({
    input: {
      type: 'image',
      resize: { mode: 'fixed-height', height: 48, maxWidth: 192 },
      normalize: { type: 'mean-std', mean: [0.5], std: [0.5] },
      ...overrides.input,
    },
    output: overrides.output ?? { type: 'classification', scores: 'probabilities', labels: ['0', '180'] },
  });
}

const ctc: PipelineRequest['output'] = {
  type: 'ctc',
  scores: 'probabilities',
  vocabulary: ['', 'a', 'b', ' '],
};

/** The problems `checkPipeline` names, or [] when it accepts. */
function problems(...args: Parameters<typeof checkPipeline>): string {
  try {
    checkPipeline(...args);
    return '';
  } catch (error) {
    if (!(error instanceof BadRequestError) || error.code !== 'invalid_pipeline') throw error;
    return error.message;
  }
}

describe('checkPipeline', () => {
  it('binds the only input and output of a classifier that fits', () => {
    expect(checkPipeline(spec(), [CLS_INPUT], [CLS_OUTPUT])).toEqual({
      input: CLS_INPUT,
      output: CLS_OUTPUT,
    });
  });

  it('accepts a CTC recognizer of dynamic width', () => {
    const recognizer = spec({
      input: { resize: { mode: 'fixed-height', height: 48, minWidth: 320, maxWidth: 2048 } },
      output: ctc,
    });

    expect(problems(recognizer, [REC_INPUT], [REC_OUTPUT])).toBe('');
  });

  it('binds tensors by name when the model has several', () => {
    const named = spec({
      input: { input: 'x' },
      output: { type: 'classification', output: 'probs', scores: 'logits', labels: ['0', '180'] },
    });
    const other: TensorSpec = { name: 'features', datatype: 'FP32', shape: [-1, 128] };

    expect(checkPipeline(named, [CLS_INPUT], [other, CLS_OUTPUT]).output).toBe(CLS_OUTPUT);
  });

  it('names every problem at once', () => {
    const message = problems(
      spec({
        input: {
          resize: { mode: 'fixed-height', height: 32, minWidth: 100, maxWidth: 200 },
          channels: 'gray',
          normalize: { type: 'mean-std', mean: [0.5, 0.5], std: [1] },
        },
      }),
      [CLS_INPUT],
      [{ name: 'probs', datatype: 'INT64', shape: [-1, 3] }],
    );

    expect(message).toContain('the channel dimension is 3; the pipeline builds 1');
    expect(message).toContain('the height is 48; the pipeline builds 32');
    expect(message).toContain('the width is fixed at 192');
    expect(message).toContain('INT64');
    expect(message).toContain('has 3 classes; output.labels has 2 entries');
    expect(message).toContain('input.normalize.mean has 2 values');
  });

  it('refuses a model of several inputs or outputs it cannot choose from', () => {
    const second: TensorSpec = { name: 'y', datatype: 'FP32', shape: [-1, 3, 48, 192] };

    expect(problems(spec(), [CLS_INPUT, second], [CLS_OUTPUT])).toContain('the model has 2 inputs');
    expect(problems(spec(), [CLS_INPUT], [CLS_OUTPUT, { ...CLS_OUTPUT, name: 'other' }])).toContain(
      'name one in output.output',
    );
    expect(problems(spec({ input: { input: 'image' } }), [CLS_INPUT], [CLS_OUTPUT])).toContain(
      'input.input "image" is not a model input ("x")',
    );
  });

  it('refuses inputs that are not FP32 images of rank 4, and a batch other than 1', () => {
    expect(
      problems(spec(), [{ name: 'x', datatype: 'UINT8', shape: [1, 3, 48, 192] }], [CLS_OUTPUT]),
    ).toContain('is UINT8; an image input must be FP32');
    expect(problems(spec(), [{ name: 'x', datatype: 'FP32', shape: [1, 48, 192] }], [CLS_OUTPUT])).toContain(
      'has rank 3',
    );
    expect(problems(spec(), [{ ...CLS_INPUT, shape: [8, 3, 48, 192] }], [CLS_OUTPUT])).toContain(
      'the batch dimension is 8',
    );
  });

  it('reads NHWC shapes as [N, H, W, C]', () => {
    const nhwc = spec({ input: { layout: 'NHWC', resize: { mode: 'fixed', width: 224, height: 224 } } });

    expect(problems(nhwc, [{ name: 'x', datatype: 'FP32', shape: [1, 224, 224, 3] }], [CLS_OUTPUT])).toBe('');
    expect(
      problems(nhwc, [{ name: 'x', datatype: 'FP32', shape: [1, 3, 224, 224] }], [CLS_OUTPUT]),
    ).toContain('the channel dimension is 224');
  });

  it('refuses CTC outputs of the wrong rank or vocabulary size', () => {
    const recognizer = spec({
      input: { resize: { mode: 'fixed-height', height: 48, maxWidth: 192 } },
      output: ctc,
    });

    expect(problems(recognizer, [CLS_INPUT], [CLS_OUTPUT])).toContain(
      'has rank 2; ctc reads [N, steps, classes]',
    );
    expect(problems(recognizer, [CLS_INPUT], [{ ...REC_OUTPUT, shape: [-1, -1, 6625] }])).toContain(
      'has 6625 classes; output.vocabulary has 4 entries',
    );
  });
});

describe('pipelineSchema', () => {
  it('applies the defaults', () => {
    const parsed = spec();

    expect(parsed.input).toMatchObject({
      formats: ['png', 'jpeg', 'webp'],
      maxPixels: 4096 * 4096,
      interpolation: 'linear',
      channels: 'RGB',
      layout: 'NCHW',
      resize: { padValue: 0 },
      normalize: { scale: 1 / 255 },
    });
    expect(parsed.output).toMatchObject({ topK: 5 });
  });

  it.each([
    [
      'minWidth over maxWidth',
      {
        input: {
          type: 'image',
          resize: { mode: 'fixed-height', height: 48, minWidth: 300, maxWidth: 200 },
          normalize: { type: 'scale', scale: 1 },
        },
        output: ctc,
      },
    ],
    [
      'a blank index past the vocabulary',
      {
        input: {
          type: 'image',
          resize: { mode: 'fixed', width: 1, height: 1 },
          normalize: { type: 'scale', scale: 1 },
        },
        output: { ...ctc, blankIndex: 4 },
      },
    ],
    [
      'a tensor of 4096 × 4096',
      {
        input: {
          type: 'image',
          resize: { mode: 'fixed', width: 4096, height: 4096 },
          normalize: { type: 'scale', scale: 1 },
        },
        output: ctc,
      },
    ],
    [
      'an unknown field',
      {
        input: {
          type: 'image',
          resize: { mode: 'fixed', width: 1, height: 1 },
          normalize: { type: 'scale', scale: 1 },
          mean: 1,
        },
        output: ctc,
      },
    ],
    [
      'a format twice',
      {
        input: {
          type: 'image',
          formats: ['png', 'png'],
          resize: { mode: 'fixed', width: 1, height: 1 },
          normalize: { type: 'scale', scale: 1 },
        },
        output: ctc,
      },
    ],
    [
      'a std of 0',
      {
        input: {
          type: 'image',
          resize: { mode: 'fixed', width: 1, height: 1 },
          normalize: { type: 'mean-std', mean: [0], std: [0] },
        },
        output: ctc,
      },
    ],
  ])('refuses %s', (_name, value) => {
    expect(pipelineSchema.safeParse(value).success).toBe(false);
  });
});
