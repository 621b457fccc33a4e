import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { WasmRuntime } from '../../functions/adapters/onnx/wasm-runtime';
import { InfergateError } from '../../functions/core/errors';
import { readOnnxSchema, type OnnxSchema } from '../../functions/core/runtime/onnx-schema';
import { knownEvaluationSet } from '../../models/recipes/evaluation-sets';
import {
  INT8_FORMATS,
  QUANTIZE_MODES,
  QuantizeError,
  buildQuantizeReport,
  quantizeModel,
  randomEvaluationSet,
  readSamples,
  type EvaluationSet,
  type Int8Format,
  type QuantizeMode,
  type QuantizeReport,
} from '../../models/quantize';
import type { CommandContext } from '../context';
import { CliError, UsageError } from '../errors';
import { fields, formatBytes, table } from '../format';

/** Options of `model quantize` (and of the quantize step of `model pipeline`). */
export interface QuantizeOptions {
  readonly mode: QuantizeMode;
  readonly calibration?: string;
  readonly format?: Int8Format;
  readonly perTensor?: boolean;
  /** Conv, MatMul and Gemm node names to leave in float. */
  readonly exclude?: string[];
  readonly batch: number;
  readonly runs: number;
  readonly warmup: number;
  readonly inputShape?: Record<string, number[]>;
}

/** What `infergate model quantize --json` prints. */
export interface QuantizeSummary extends QuantizeReport {
  readonly input: string;
  readonly output: string;
  /** Where the calibration and validation inputs came from. */
  readonly data: 'calibration-files' | 'known-model' | 'random';
}

function parseCount(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return number;
}

function parseWarmup(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number))
    throw new InvalidArgumentError('expected an integer >= 0.');
  return number;
}

/** `--input-shape x=1,3,48,192`, repeatable. */
function parseInputShape(value: string, previous: Record<string, number[]> = {}): Record<string, number[]> {
  const match = /^([^=]+)=(\d+(?:,\d+)*)$/.exec(value);
  if (match === null) throw new InvalidArgumentError('expected name=d0,d1,... such as x=1,3,48,192.');
  const [, name = '', dims = ''] = match;
  return { ...previous, [name]: dims.split(',').map(Number) };
}

async function readModel(file: string, shown: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (cause) {
    // fs errors carry a code; checked structurally since they may come from another realm.
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? cause.code : undefined;
    throw new UsageError(
      code === 'ENOENT' ? `no such file: ${shown}` : `cannot read ${shown}: ${String(cause)}`,
      {
        cause,
      },
    );
  }
}

function readSchema(bytes: Uint8Array, file: string): OnnxSchema {
  try {
    return readOnnxSchema(bytes);
  } catch (cause) {
    if (cause instanceof InfergateError)
      throw new CliError(cause.code, `${file}: ${cause.message}`, { cause });
    throw cause;
  }
}

async function evaluationSet(
  bytes: Uint8Array,
  schema: OnnxSchema,
  options: QuantizeOptions,
  cwd: string,
): Promise<{ set: EvaluationSet; data: QuantizeSummary['data'] }> {
  if (options.calibration !== undefined) {
    const location = path.resolve(cwd, options.calibration);
    const samples = await readSamples(location, schema.inputs);
    return {
      data: 'calibration-files',
      set: {
        description: `${samples.length} samples from ${options.calibration} (calibration and validation on the same samples)`,
        calibration: samples,
        validation: samples,
      },
    };
  }
  const known = await knownEvaluationSet(bytes);
  if (known !== undefined) return { data: 'known-model', set: known };
  return {
    data: 'random',
    set: randomEvaluationSet(schema.inputs, { dynamicSize: options.batch, shapes: options.inputShape }),
  };
}

function operatorTable(report: QuantizeReport): string {
  const names = [
    ...new Set([...Object.keys(report.before.operators), ...Object.keys(report.after.operators)]),
  ].sort(
    (a, b) =>
      (report.after.operators[b] ?? 0) +
      (report.before.operators[b] ?? 0) -
      ((report.after.operators[a] ?? 0) + (report.before.operators[a] ?? 0)),
  );
  return table(
    ['OPERATOR', 'BEFORE', 'AFTER'],
    names.map((name) => [
      name,
      String(report.before.operators[name] ?? 0),
      String(report.after.operators[name] ?? 0),
    ]),
  );
}

const percent = (value: number): string => `${(value * 100).toFixed(2)}%`;
const ms = (value: number): string => `${value.toFixed(3)} ms`;

function describe(summary: QuantizeSummary): string {
  const { latency, agreement } = summary;
  const how = [
    summary.mode,
    summary.format === undefined ? undefined : `${summary.format} format`,
    summary.format === undefined ? undefined : summary.perChannel ? 'per-channel' : 'per-tensor',
    `opset ${summary.opset.before} -> ${summary.opset.after}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  const timing =
    latency.quantized === undefined
      ? `fp32 p50 ${ms(latency.fp32.p50Ms)}; quantized model did not run: ${latency.error ?? 'unknown error'}`
      : `fp32 p50 ${ms(latency.fp32.p50Ms)}, quantized p50 ${ms(latency.quantized.p50Ms)} (speedup ${(latency.speedup ?? NaN).toFixed(2)}x)`;
  const accuracy =
    agreement?.referenceAccuracy === undefined || agreement.candidateAccuracy === undefined
      ? ''
      : `; accuracy ${percent(agreement.referenceAccuracy)} -> ${percent(agreement.candidateAccuracy)}`;
  const lines = [
    fields([
      ['quantized', `${summary.input} -> ${summary.output}`],
      [
        'how',
        `${how}; ${summary.quantizedNodes} nodes quantized, ${summary.foldedBatchNorms} BatchNormalization folded`,
      ],
      [
        'size',
        `${formatBytes(summary.before.bytes)} -> ${formatBytes(summary.after.bytes)} (${summary.sizeRatio.toFixed(2)}x smaller)`,
      ],
      ['latency', `${timing}`],
      [
        'measured',
        `${latency.runtime}, batch ${latency.batch}, ${latency.runs} runs each after ${latency.warmup} warm-up runs`,
      ],
      [
        'agreement',
        agreement === undefined
          ? 'not measured: the quantized model did not run'
          : `top-1 ${percent(agreement.topOneAgreement)} of ${agreement.rows} rows, max |diff| ${agreement.maxAbsDiff.toFixed(4)}${accuracy}` +
            (agreement.topOneAgreement < 1
              ? `; disagreements only where fp32's top two scores are within ${agreement.largestDisagreementMargin.toFixed(3)}`
              : ''),
      ],
      [
        'validation',
        summary.data === 'random'
          ? `${summary.validation} (pass --calibration for real data)`
          : summary.validation,
      ],
    ]),
    '',
    operatorTable(summary),
  ];
  for (const warning of summary.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

/**
 * What `model quantize` does before printing: reads `input`, quantizes it, writes `output`
 * and measures both (paths relative to `cwd`). Errors are the CLI's: a `UsageError` for an
 * unreadable file, a `CliError` with the quantizer's code otherwise.
 */
export async function quantizeFile(
  cwd: string,
  input: string,
  output: string,
  options: QuantizeOptions,
): Promise<QuantizeSummary> {
  const bytes = await readModel(path.resolve(cwd, input), input);
  const schema = readSchema(bytes, input);
  try {
    const { set, data } = await evaluationSet(bytes, schema, options, cwd);
    const runtime = await WasmRuntime.create();
    const quantized = await quantizeModel(bytes, {
      mode: options.mode,
      calibration: set.calibration,
      runtime,
      perChannel: options.perTensor !== true,
      ...(options.format === undefined ? {} : { format: options.format }),
      ...(options.exclude === undefined ? {} : { excludeNodes: options.exclude }),
    });
    const out = path.resolve(cwd, output);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, quantized.bytes);
    const report = await buildQuantizeReport(bytes, quantized, set, runtime, {
      batch: options.batch,
      runs: options.runs,
      warmup: options.warmup,
    });
    return { input, output, data, ...report };
  } catch (error) {
    if (error instanceof QuantizeError) throw new CliError(error.code, error.message, { cause: error });
    throw error;
  }
}

/**
 * `infergate model quantize <in.onnx> <out.onnx> --mode m [--calibration path] [--json]`
 */
export function registerModelQuantize(model: Command, context: CommandContext): void {
  model
    .command('quantize')
    .description('quantize an ONNX model (int8 or fp16) and compare it with the original on onnxruntime-web')
    .argument('<in>', 'the float .onnx model')
    .argument('<out>', 'where to write the quantized model')
    .addOption(
      new Option('--mode <mode>', 'what to quantize to').choices(QUANTIZE_MODES).makeOptionMandatory(),
    )
    .option(
      '--calibration <path>',
      'a .json file (or a directory of them) of infer request bodies: calibration and validation inputs',
    )
    .addOption(
      new Option('--format <format>', 'int8 form in the graph (default: measured fastest)').choices(
        INT8_FORMATS,
      ),
    )
    .option('--per-tensor', 'one weight scale per tensor instead of per output channel')
    .option(
      '--exclude <node>',
      'name of a Conv, MatMul or Gemm node to leave in float (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--batch <n>', 'rows per timed run', parseCount, 1)
    .option('--runs <n>', 'timed runs per model', parseCount, 200)
    .option('--warmup <n>', 'untimed runs per model first', parseWarmup, 300)
    .option(
      '--input-shape <name=dims>',
      'shape of an input for random data, e.g. x=1,3,48,192 (repeatable)',
      parseInputShape,
    )
    .action(async (input: string, output: string, options: QuantizeOptions, command: Command) => {
      context.print(command, await quantizeFile(context.io.cwd, input, output, options), describe);
    });
}
