import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Argument, InvalidArgumentError, type Command } from 'commander';
import { WasmRuntime } from '../../functions/adapters/onnx/wasm-runtime';
import { SingleBar } from 'cli-progress';
import {
  DIGITS_DEFAULTS,
  exportDigitsModel,
  loadDigits,
  selectRows,
  trainDigits,
  verifyDigitsOnnx,
  type DigitsDataset,
  type DigitsTrainingResult,
  type EpochMetrics,
  type OnnxVerification,
} from '../../models/recipes/digits';
import type { CommandContext } from '../context';
import type { CliIo } from '../io';
import { fields, formatBytes } from '../format';

/** Recipes `infergate model train` knows (folders of `models/recipes/`). */
export const TRAIN_RECIPES = ['digits'] as const;

interface TrainOptions {
  readonly out: string;
  readonly epochs: number;
  readonly seed: number;
}

/** What `infergate model train --json` prints. */
export interface TrainSummary {
  readonly recipe: string;
  readonly out: string;
  readonly bytes: number;
  readonly seed: number;
  readonly epochs: number;
  readonly seconds: number;
  readonly trainRows: number;
  readonly heldOutRows: number;
  readonly final: EpochMetrics;
  /** The exported model run on onnxruntime-web over the held-out rows. */
  readonly onnx: {
    readonly heldOutAccuracy: number;
    readonly typescriptHeldOutAccuracy: number;
    readonly disagreements: number;
    readonly maxAbsDiff: number;
  };
}

export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return number;
}

export function parseSeed(value: string): number {
  const number = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(number) || Math.abs(number) > 0xffffffff) {
    throw new InvalidArgumentError('expected an integer of at most 32 bits.');
  }
  return number;
}

const percent = (value: number): string => `${(value * 100).toFixed(2)}%`;

/** A progress bar on a terminal, one line per epoch otherwise (standard error either way). */
function epochReporter(
  io: CliIo,
  epochs: number,
): { onEpoch: (metrics: EpochMetrics) => void; stop(): void } {
  const stream = io.progressStream;
  if (stream === undefined) {
    return {
      onEpoch: (m) =>
        io.err(
          `epoch ${m.epoch}/${m.epochs}  loss ${m.loss.toFixed(4)}  train ${percent(m.trainAccuracy)}  held-out ${percent(m.heldOutAccuracy)}\n`,
        ),
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({
    stream,
    format: 'training [{bar}] {value}/{total} epochs | loss {loss} | train {train} | held-out {heldOut}',
    barCompleteChar: '=',
    barIncompleteChar: '-',
    hideCursor: true,
    clearOnComplete: false,
  });
  bar.start(epochs, 0, { loss: '-', train: '-', heldOut: '-' });
  return {
    onEpoch: (m) =>
      bar.update(m.epoch, {
        loss: m.loss.toFixed(4),
        train: percent(m.trainAccuracy),
        heldOut: percent(m.heldOutAccuracy),
      }),
    stop: () => bar.stop(),
  };
}

function describe(summary: TrainSummary): string {
  const { final, onnx } = summary;
  return fields([
    [
      'trained',
      `${summary.recipe}, ${summary.epochs} epochs, seed ${summary.seed}, in ${summary.seconds.toFixed(1)} s`,
    ],
    ['loss', final.loss.toFixed(4)],
    ['train accuracy', `${percent(final.trainAccuracy)} (${summary.trainRows} rows)`],
    ['held-out accuracy', `${percent(final.heldOutAccuracy)} (${summary.heldOutRows} rows)`],
    [
      'onnxruntime-web',
      `held-out accuracy ${percent(onnx.heldOutAccuracy)}, ${onnx.disagreements} disagreements with TypeScript, max |diff| ${onnx.maxAbsDiff.toExponential(2)}`,
    ],
    ['wrote', `${summary.out} (${formatBytes(summary.bytes)})`],
  ]);
}

/** A trained digits model with the data it was trained on. */
export interface TrainedDigits {
  readonly dataset: DigitsDataset;
  readonly result: DigitsTrainingResult;
  readonly seconds: number;
}

/** An exported model: its ONNX bytes and how it compares with the TypeScript network. */
export interface ExportedDigits {
  readonly bytes: Uint8Array;
  readonly check: OnnxVerification;
}

/**
 * Step one of `model train` (and of `model pipeline`): loads the digits data and trains,
 * reporting progress on standard error.
 */
export async function trainDigitsRecipe(
  io: CliIo,
  options: { readonly epochs: number; readonly seed: number },
): Promise<TrainedDigits> {
  const dataset = await loadDigits();
  const started = performance.now();
  const reporter = epochReporter(io, options.epochs);
  try {
    const result = await trainDigits(dataset, {
      epochs: options.epochs,
      seed: options.seed,
      onEpoch: reporter.onEpoch,
    });
    return { dataset, result, seconds: (performance.now() - started) / 1000 };
  } finally {
    reporter.stop();
  }
}

/**
 * Step two: exports the trained network to ONNX, writes it to `out` (an absolute path) and
 * runs it on onnxruntime-web over the held-out rows, against the TypeScript forward pass.
 */
export async function exportDigitsRecipe(trained: TrainedDigits, out: string): Promise<ExportedDigits> {
  const { dataset, result } = trained;
  const bytes = exportDigitsModel(result);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, bytes);
  const check = await verifyDigitsOnnx(
    bytes,
    result.mlp,
    selectRows(dataset, result.split.heldOut),
    await WasmRuntime.create(),
  );
  return { bytes, check };
}

/** What `model train` prints, from the two steps' results; `out` as the user wrote it. */
export function trainSummary(
  recipe: string,
  out: string,
  trained: TrainedDigits,
  exported: ExportedDigits,
): TrainSummary {
  const { result, seconds } = trained;
  const { bytes, check } = exported;
  return {
    recipe,
    out,
    bytes: bytes.byteLength,
    seed: result.config.seed,
    epochs: result.config.epochs,
    seconds,
    trainRows: result.split.train.length,
    heldOutRows: result.split.heldOut.length,
    final: result.final,
    onnx: {
      heldOutAccuracy: check.onnxAccuracy,
      typescriptHeldOutAccuracy: check.typescriptAccuracy,
      disagreements: check.disagreements,
      maxAbsDiff: check.maxAbsDiff,
    },
  };
}

/** `infergate model train <recipe> [--out file] [--epochs n] [--seed s]` */
export function registerModelTrain(model: Command, context: CommandContext): void {
  model
    .command('train')
    .description(
      'train a model from a recipe of models/recipes, export it to ONNX and check it on onnxruntime-web',
    )
    .addArgument(new Argument('<recipe>', 'what to train').choices(TRAIN_RECIPES))
    .option('--out <file>', 'where to write the .onnx file', 'models/build/digits.onnx')
    .option('--epochs <n>', 'passes over the training split', parsePositiveInteger, DIGITS_DEFAULTS.epochs)
    .option(
      '--seed <n>',
      'seed of the split, the initialization and the batch order',
      parseSeed,
      DIGITS_DEFAULTS.seed,
    )
    .action(async (recipe: string, options: TrainOptions, command: Command) => {
      const { io } = context;
      const trained = await trainDigitsRecipe(io, options);
      const exported = await exportDigitsRecipe(trained, path.resolve(io.cwd, options.out));
      context.print(command, trainSummary(recipe, options.out, trained, exported), describe);
    });
}
