import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/main';
import type { CliIo } from '../../../cli/io';
import type { QuantizeSummary } from '../../../cli/commands/model-quantize';
import type { TrainSummary } from '../../../cli/commands/model-train';
import { GOLDEN_DIR, GOLDEN_MODEL_FILE } from '../../../models/quantize/golden';

interface Captured {
  readonly io: CliIo;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

function capture(cwd: string): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      env: {},
      cwd,
      now: () => new Date('2026-01-01T00:00:00.000Z'),
    },
    stdout: () => out,
    stderr: () => err,
  };
}

const FAST_TIMING = ['--runs', '3', '--warmup', '2'];

describe('infergate model train and quantize', () => {
  let cwd = '';
  let trained = '';

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'infergate-models-'));
    trained = join(cwd, 'build', 'digits.onnx');
  });

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('trains digits, writes the model and prints the final metrics with --json', async () => {
    const cli = capture(cwd);

    const code = await runCli(
      ['model', 'train', 'digits', '--epochs', '4', '--seed', '7', '--out', 'build/digits.onnx', '--json'],
      cli.io,
    );

    expect(code).toBe(0);
    const summary = JSON.parse(cli.stdout()) as TrainSummary;
    expect(summary).toMatchObject({
      recipe: 'digits',
      out: 'build/digits.onnx',
      seed: 7,
      epochs: 4,
      heldOutRows: 359,
      trainRows: 1438,
    });
    expect(summary.final.heldOutAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(summary.onnx.heldOutAccuracy).toBe(summary.final.heldOutAccuracy);
    expect(summary.onnx.disagreements).toBe(0);
    expect(existsSync(trained)).toBe(true);
    // Without a terminal, progress is one line per epoch on stderr.
    expect(cli.stderr().trim().split('\n')).toHaveLength(4);
    expect(cli.stderr()).toMatch(
      /^epoch 1\/4 {2}loss \d+\.\d{4} {2}train \d+\.\d{2}% {2}held-out \d+\.\d{2}%$/m,
    );
  });

  it('quantizes the trained model and reports size, operators, latency and held-out agreement as JSON', async () => {
    const cli = capture(cwd);

    const code = await runCli(
      [
        'model',
        'quantize',
        trained,
        join(cwd, 'digits.int8.onnx'),
        '--mode',
        'dynamic-int8',
        '--json',
        ...FAST_TIMING,
      ],
      cli.io,
    );

    expect(code).toBe(0);
    const summary = JSON.parse(cli.stdout()) as QuantizeSummary;
    expect(summary).toMatchObject({
      mode: 'dynamic-int8',
      format: 'mixed',
      perChannel: true,
      data: 'known-model',
    });
    expect(summary.validation).toContain('359 held-out digits');
    expect(summary.sizeRatio).toBeGreaterThanOrEqual(3.5);
    expect(summary.before.operators).toEqual({ Gemm: 3, Relu: 2, Softmax: 1 });
    expect(summary.after.operators).toMatchObject({ DynamicQuantizeLinear: 3, MatMulInteger: 3 });
    expect(summary.agreement?.rows).toBe(359);
    expect(summary.agreement?.candidateAccuracy).toBeGreaterThanOrEqual(
      (summary.agreement?.referenceAccuracy ?? 1) - 0.005,
    );
    expect(summary.latency).toMatchObject({
      runtime: 'onnxruntime-web (WASM, 1 thread)',
      batch: 1,
      runs: 3,
      warmup: 2,
    });
    expect(summary.latency.fp32.p50Ms).toBeGreaterThan(0);
    expect(summary.latency.quantized?.p50Ms).toBeGreaterThan(0);
    expect(existsSync(join(cwd, 'digits.int8.onnx'))).toBe(true);
  });

  it('calibrates on OIP JSON files given with --calibration', async () => {
    const sample = (seed: number) => ({
      inputs: [
        {
          name: 'x',
          datatype: 'FP32',
          shape: [1, 1, 4, 4],
          data: Array.from({ length: 16 }, (_, i) => ((i * seed) % 7) / 7),
        },
      ],
    });
    await writeFile(join(cwd, 'calibration.json'), JSON.stringify([sample(1), sample(2), sample(3)]));
    const cli = capture(cwd);

    const code = await runCli(
      [
        'model',
        'quantize',
        join(GOLDEN_DIR, GOLDEN_MODEL_FILE),
        'tiny.int8.onnx',
        '--mode',
        'static-int8',
        '--calibration',
        'calibration.json',
        '--json',
        ...FAST_TIMING,
      ],
      cli.io,
    );

    expect(code).toBe(0);
    const summary = JSON.parse(cli.stdout()) as QuantizeSummary;
    expect(summary.data).toBe('calibration-files');
    expect(summary.validation).toBe(
      '3 samples from calibration.json (calibration and validation on the same samples)',
    );
    expect(summary.agreement?.rows).toBe(3);
    expect(summary.after.operators).toMatchObject({ QuantizeLinear: 4 });
  });

  it('falls back to random inputs from the schema, and says so', async () => {
    const cli = capture(cwd);

    const code = await runCli(
      [
        'model',
        'quantize',
        join(GOLDEN_DIR, GOLDEN_MODEL_FILE),
        'tiny.fp16.onnx',
        '--mode',
        'fp16',
        ...FAST_TIMING,
      ],
      cli.io,
    );

    expect(code).toBe(0);
    expect(cli.stdout()).toContain('validation: random inputs from the model input schema');
    expect(cli.stdout()).toMatch(/^size: +1\.3 KB -> \d+ B \(\d\.\d\dx smaller\)$/m);
    expect(cli.stdout()).toMatch(/^Cast +0 +2$/m);
  });

  it.each([
    [
      ['model', 'quantize', 'in.onnx', 'out.onnx', '--mode', 'int4'],
      "option '--mode <mode>' argument 'int4' is invalid",
    ],
    [['model', 'quantize', 'in.onnx', 'out.onnx'], "required option '--mode <mode>' not specified"],
    [['model', 'train', 'cats'], "value 'cats' is invalid for argument 'recipe'"],
    [['model', 'train', 'digits', '--epochs', '0'], "option '--epochs <n>' argument '0' is invalid"],
  ])('refuses a bad command line with exit status 2 (%#)', async (args, message) => {
    const cli = capture(cwd);

    const code = await runCli(args, cli.io);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain(message);
  });

  it('reports a missing input file as a usage error', async () => {
    const cli = capture(cwd);

    const code = await runCli(['model', 'quantize', 'missing.onnx', 'out.onnx', '--mode', 'fp16'], cli.io);

    expect(code).toBe(2);
    expect(cli.stderr()).toBe('error: no such file: missing.onnx\n');
  });
});
