import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import {
  InfergateClient,
  type Alias,
  type AliasTarget,
  type ModelVersion,
  type UsageReport,
} from '../../client';
import { describeTarget, targetOf } from '../../functions/core/registry/alias-routes';
import { DEFAULT_ALIAS } from '../../functions/core/registry/types';
import { readOnnxSchema } from '../../functions/core/runtime/onnx-schema';
import {
  DIGITS_CLASSES,
  DIGITS_DEFAULTS,
  DIGITS_FEATURES,
  DIGITS_INPUT,
  DIGITS_OUTPUT,
  selectRows,
} from '../../models/recipes/digits';
import type { CommandContext, GlobalOptions } from '../context';
import { CliError } from '../errors';
import { fields, formatAgreement, formatBytes, formatCount, table } from '../format';
import { parseAlias, parseModelName } from '../options';
import { resolveTenantKey } from '../tenant-key';
import { quantizeFile, type QuantizeSummary } from './model-quantize';
import {
  exportDigitsRecipe,
  parsePositiveInteger,
  parseSeed,
  trainDigitsRecipe,
  trainSummary,
  type TrainSummary,
} from './model-train';

/** Recipes `infergate model pipeline` runs end to end. */
export const PIPELINE_RECIPES = ['digits'] as const;

/** The steps, in order, as progress lines name them. */
export const PIPELINE_STEPS = [
  'train',
  'export',
  'quantize',
  'validate',
  'register',
  'publish',
  'infer',
  'usage',
] as const;
type Step = (typeof PIPELINE_STEPS)[number];

interface PipelineOptions {
  readonly name: string;
  readonly outDir: string;
  readonly epochs: number;
  readonly seed: number;
  readonly alias: string;
  readonly key?: string;
  readonly tenant?: string;
  readonly samples: number;
  readonly maxAccuracyDrop: number;
  readonly minAgreement: number;
  readonly runs: number;
  readonly warmup: number;
}

/** One check of the validate step. */
export interface ValidationCheck {
  readonly check: 'schema' | 'export' | 'accuracy' | 'agreement';
  readonly passed: boolean;
  readonly detail: string;
}

/** One held-out digit sent through the API. */
export interface PipelinePrediction {
  /** Row of the data set (`models/data/digits.csv.gz`, 0-based). */
  readonly row: number;
  readonly label: number;
  readonly predicted: number;
  /** The probability the model gave its prediction. */
  readonly probability: number;
  /** The version that answered (`model_version`, as in `x-model-version`). */
  readonly version: string;
  /** Round trip of the request, as the CLI measured it. */
  readonly ms: number;
}

/** Usage counters added by the infer step, per version of the model. */
export interface UsageDelta {
  readonly version: string;
  readonly requests: number;
  readonly errors: number;
  readonly computeMs: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
}

/** What `infergate model pipeline --json` prints. */
export interface PipelineSummary {
  readonly recipe: string;
  readonly model: string;
  readonly alias: string;
  readonly seconds: number;
  /** As `model train --json` prints it. */
  readonly train: TrainSummary;
  /** As `model quantize --json` prints it (fp32 file in, int8 file out). */
  readonly quantize: QuantizeSummary;
  readonly validate: { readonly passed: boolean; readonly checks: readonly ValidationCheck[] };
  readonly register: { readonly fp32: ModelVersion; readonly int8: ModelVersion };
  readonly publish: { readonly alias: Alias; readonly previous?: AliasTarget };
  readonly infer: {
    readonly url: string;
    /** Where the tenant key came from: `--key`, or the local platform's demo key. */
    readonly key: 'flag' | 'local';
    readonly correct: number;
    readonly predictions: readonly PipelinePrediction[];
  };
  readonly usage: {
    readonly month: string;
    readonly before: UsageReport['totals'];
    readonly after: UsageReport['totals'];
    readonly added: readonly UsageDelta[];
  };
}

function parseFraction(label: string, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > max) {
      throw new InvalidArgumentError(`expected ${label} from 0 to ${max}.`);
    }
    return number;
  };
}

const percent = (value: number): string => `${(value * 100).toFixed(2)}%`;

/** Sums usage rows of one model per version. */
function byVersion(report: UsageReport, model: string): Map<string, UsageDelta> {
  const sums = new Map<string, UsageDelta>();
  for (const row of report.rows) {
    if (row.modelName !== model) continue;
    const sum = sums.get(row.version);
    sums.set(row.version, {
      version: row.version,
      requests: (sum?.requests ?? 0) + row.requests,
      errors: (sum?.errors ?? 0) + row.errors,
      computeMs: (sum?.computeMs ?? 0) + row.computeMs,
      inputBytes: (sum?.inputBytes ?? 0) + row.inputBytes,
      outputBytes: (sum?.outputBytes ?? 0) + row.outputBytes,
    });
  }
  return sums;
}

/** What `after` holds beyond `before`, for the versions of `model` that changed. */
export function usageAdded(before: UsageReport, after: UsageReport, model: string): UsageDelta[] {
  const start = byVersion(before, model);
  return [...byVersion(after, model).values()]
    .map((end) => {
      const was = start.get(end.version);
      return {
        version: end.version,
        requests: end.requests - (was?.requests ?? 0),
        errors: end.errors - (was?.errors ?? 0),
        computeMs: Math.round((end.computeMs - (was?.computeMs ?? 0)) * 1000) / 1000,
        inputBytes: end.inputBytes - (was?.inputBytes ?? 0),
        outputBytes: end.outputBytes - (was?.outputBytes ?? 0),
      };
    })
    .filter((delta) => delta.requests !== 0 || delta.errors !== 0)
    .sort((a, b) => Number(a.version) - Number(b.version));
}

function sameSpecs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The validate step: the files as registration will read them, and the int8 model's quality. */
export function validationChecks(
  fp32: Uint8Array,
  int8: Uint8Array,
  summary: {
    readonly train: Pick<TrainSummary, 'onnx' | 'heldOutRows'>;
    readonly quantize: Pick<QuantizeSummary, 'agreement'>;
  },
  limits: { readonly maxAccuracyDrop: number; readonly minAgreement: number },
): ValidationCheck[] {
  const before = readOnnxSchema(fp32);
  const after = readOnnxSchema(int8);
  const { onnx } = summary.train;
  const { agreement } = summary.quantize;
  const schemaSame = sameSpecs(before.inputs, after.inputs) && sameSpecs(before.outputs, after.outputs);
  const tensors = after.inputs
    .concat(after.outputs)
    .map((spec) => `${spec.name} ${spec.datatype} [${spec.shape.join(', ')}]`)
    .join(', ');
  const checks: ValidationCheck[] = [
    {
      check: 'schema',
      passed: schemaSame,
      detail: schemaSame
        ? `fp32 and int8 take and give the same tensors: ${tensors}`
        : 'the int8 model does not have the inputs and outputs of the fp32 model',
    },
    {
      check: 'export',
      passed: onnx.disagreements === 0,
      detail: `fp32 on onnxruntime-web disagrees with the trained network on ${onnx.disagreements} of ${summary.train.heldOutRows} held-out rows`,
    },
  ];
  if (agreement?.referenceAccuracy === undefined || agreement.candidateAccuracy === undefined) {
    checks.push({
      check: 'accuracy',
      passed: false,
      detail: 'the int8 model could not be measured on the held-out rows',
    });
    return checks;
  }
  const drop = agreement.referenceAccuracy - agreement.candidateAccuracy;
  checks.push(
    {
      check: 'accuracy',
      passed: drop <= limits.maxAccuracyDrop + 1e-9,
      detail: `held-out accuracy fp32 ${percent(agreement.referenceAccuracy)}, int8 ${percent(agreement.candidateAccuracy)} (allowed drop ${percent(limits.maxAccuracyDrop)})`,
    },
    {
      check: 'agreement',
      passed: agreement.topOneAgreement >= limits.minAgreement,
      detail: `int8 and fp32 agree on ${percent(agreement.topOneAgreement)} of ${agreement.rows} rows (at least ${percent(limits.minAgreement)} needed)`,
    },
  );
  return checks;
}

function argmax(values: readonly unknown[]): { index: number; value: number } {
  let best = { index: -1, value: -Infinity };
  values.forEach((value, index) => {
    if (typeof value === 'number' && value > best.value) best = { index, value };
  });
  return best;
}

function describe(summary: PipelineSummary): string {
  const predictions = table(
    ['ROW', 'LABEL', 'PREDICTED', 'PROBABILITY', 'VERSION', 'MS'],
    summary.infer.predictions.map((p) => [
      String(p.row),
      String(p.label),
      `${p.predicted}${p.predicted === p.label ? '' : '  (wrong)'}`,
      p.probability.toFixed(4),
      p.version,
      p.ms.toFixed(1),
    ]),
  );
  const usage =
    summary.usage.added.length === 0
      ? 'no usage recorded for these requests'
      : table(
          ['VERSION', 'REQUESTS', 'ERRORS', 'COMPUTE MS', 'INPUT BYTES', 'OUTPUT BYTES'],
          summary.usage.added.map((row) => [
            row.version,
            `+${formatCount(row.requests)}`,
            `+${formatCount(row.errors)}`,
            `+${row.computeMs.toFixed(3)}`,
            `+${formatCount(row.inputBytes)}`,
            `+${formatCount(row.outputBytes)}`,
          ]),
        );
  const { before, after, month } = summary.usage;
  return [
    '',
    `held-out digits through the API (${summary.infer.correct}/${summary.infer.predictions.length} correct):`,
    predictions,
    '',
    `usage these requests added (tenant's ${month}: ${formatCount(before.requests)} -> ${formatCount(after.requests)} requests):`,
    usage,
    '',
    fields([
      ['model', `${summary.model}:${summary.alias} -> version ${describeTarget(summary.publish.alias)}`],
      ['took', `${summary.seconds.toFixed(1)} s`],
    ]),
  ].join('\n');
}

/**
 * `infergate model pipeline digits`: train, export, quantize (int8), validate, register
 * (fp32 and int8, the int8 compared with the fp32 as its baseline), publish the int8 version,
 * call it through the API with a tenant key on held-out digits, and show the usage that
 * caused. Each step is a command of its own too; this runs the same code, in order, and
 * stops at the first failure (nothing is registered if validation fails).
 */
export function registerModelPipeline(model: Command, context: CommandContext): void {
  model
    .command('pipeline')
    .description(
      'train, export, quantize, validate, register, publish, then infer through the API and show the usage caused',
    )
    .addArgument(new Argument('<recipe>', 'what to build').choices(PIPELINE_RECIPES))
    .option('--name <model>', 'model name to register', parseModelName, 'digits')
    .option('--out-dir <dir>', 'where the .onnx files go', 'models/build')
    .option('--epochs <n>', 'training epochs', parsePositiveInteger, DIGITS_DEFAULTS.epochs)
    .option('--seed <n>', 'training seed', parseSeed, DIGITS_DEFAULTS.seed)
    .option('--alias <alias>', 'alias to publish the int8 version to', parseAlias, DEFAULT_ALIAS)
    .option('--key <key>', "tenant API key to infer with (default: the local platform's demo key)")
    .addOption(new Option('--tenant <id>', 'make the model private to this tenant (default: public)'))
    .option('--samples <n>', 'held-out digits to send through the API', parsePositiveInteger, 8)
    .option(
      '--max-accuracy-drop <fraction>',
      'validation: largest held-out accuracy loss of int8 allowed',
      parseFraction('a fraction', 1),
      0.01,
    )
    .option(
      '--min-agreement <fraction>',
      'validation: smallest top-1 agreement of int8 with fp32 allowed',
      parseFraction('a fraction', 1),
      0.99,
    )
    .option('--runs <n>', 'quantize: timed runs per model', parsePositiveInteger, 50)
    .option('--warmup <n>', 'quantize: untimed runs per model first', parsePositiveInteger, 50)
    .action(async (recipe: string, options: PipelineOptions, command: Command) => {
      const { io } = context;
      const json = command.optsWithGlobals<GlobalOptions>().json === true;
      const started = performance.now();
      // Progress is the output of a human run; with --json it goes to standard error.
      const step = (name: Step, line: string): void => {
        const index = PIPELINE_STEPS.indexOf(name) + 1;
        (json ? io.err : io.out)(`[${index}/${PIPELINE_STEPS.length}] ${name.padEnd(8)}  ${line}\n`);
      };
      const outDir = path.resolve(io.cwd, options.outDir);
      const fp32Shown = path.join(options.outDir, `${options.name}.onnx`);
      const int8Shown = path.join(options.outDir, `${options.name}.int8.onnx`);
      // The platform and the tenant key first: a missing or unreachable platform fails
      // before the training, not after it.
      const admin = await context.client(command);
      const tenantKey = await resolveTenantKey(options.key, admin.url, io);
      await admin.serverMetadata();

      const trained = await trainDigitsRecipe(io, options);
      const { final } = trained.result;
      step(
        'train',
        `${recipe}, ${options.epochs} epochs, seed ${options.seed}: held-out accuracy ${percent(final.heldOutAccuracy)} ` +
          `(${trained.result.split.heldOut.length} rows), ${trained.seconds.toFixed(1)} s`,
      );

      const exported = await exportDigitsRecipe(trained, path.join(outDir, `${options.name}.onnx`));
      const train = trainSummary(recipe, fp32Shown, trained, exported);
      step(
        'export',
        `${fp32Shown} (${formatBytes(exported.bytes.byteLength)}); on onnxruntime-web ${percent(exported.check.onnxAccuracy)}, ` +
          `${exported.check.disagreements} disagreements with the trained network`,
      );

      const quantize = await quantizeFile(io.cwd, fp32Shown, int8Shown, {
        mode: 'dynamic-int8',
        batch: 64,
        runs: options.runs,
        warmup: options.warmup,
      });
      const speed =
        quantize.latency.quantized === undefined
          ? 'not timed'
          : `p50 ${quantize.latency.quantized.p50Ms.toFixed(3)} ms vs ${quantize.latency.fp32.p50Ms.toFixed(3)} ms at batch ${quantize.latency.batch}`;
      step(
        'quantize',
        `dynamic-int8 -> ${int8Shown} (${formatBytes(quantize.after.bytes)}, ${quantize.sizeRatio.toFixed(2)}x smaller); ${speed}`,
      );

      const int8Bytes = await readFile(path.join(outDir, `${options.name}.int8.onnx`));
      const checks = validationChecks(exported.bytes, int8Bytes, { train, quantize }, options);
      const failed = checks.filter((check) => !check.passed);
      const accuracy = quantize.agreement;
      step(
        'validate',
        failed.length === 0
          ? `${checks.length} checks passed: same inputs and outputs; held-out accuracy fp32 ` +
              `${percent(accuracy?.referenceAccuracy ?? 0)}, int8 ${percent(accuracy?.candidateAccuracy ?? 0)}; ` +
              `top-1 agreement ${percent(accuracy?.topOneAgreement ?? 0)} of ${accuracy?.rows ?? 0} rows`
          : `FAILED: ${failed.map((check) => check.detail).join('; ')}`,
      );
      if (failed.length > 0) {
        throw new CliError(
          'validation_failed',
          `the int8 model failed validation (${failed.map((check) => check.check).join(', ')}); nothing was registered`,
        );
      }

      const visibility = options.tenant === undefined ? ('public' as const) : ('private' as const);
      const registration = {
        visibility,
        ownerTenantId: options.tenant,
        description:
          'Handwritten digits (8x8 pixels scaled to [0, 1]) -> probabilities of 0-9; the digits recipe',
      };
      const fp32 = await admin.registerModel(
        options.name,
        path.join(outDir, `${options.name}.onnx`),
        registration,
      );
      const int8 = await admin.registerModel(options.name, int8Bytes, {
        ...registration,
        baseline: fp32.version,
      });
      step(
        'register',
        `${options.name} version ${fp32.version} (fp32, ${formatBytes(fp32.artifact.size)}), ` +
          `version ${int8.version} (int8, ${formatBytes(int8.artifact.size)}` +
          (int8.agreement === undefined ? ')' : `; ${formatAgreement(int8.agreement)})`),
      );

      const previous = (await admin.getModel(options.name)).aliases.find((a) => a.alias === options.alias);
      const alias = await admin.setAlias(options.name, options.alias, {
        version: int8.version,
        expectedRevision: previous?.revision ?? 0,
      });
      step(
        'publish',
        `${options.name}:${options.alias} -> version ${describeTarget(alias)}` +
          (previous === undefined ? '' : ` (was ${describeTarget(previous)})`),
      );

      const tenant = new InfergateClient({ url: admin.url, apiKey: tenantKey.key });
      const usageBefore = await tenant.usage();
      // Spread over the held-out split (whose rows are in data-set order), so that the
      // digits sent are varied.
      const { heldOut: allHeldOut } = trained.result.split;
      const count = Math.min(options.samples, allHeldOut.length);
      const heldOut = Array.from(
        { length: count },
        (_, i) => allHeldOut[Math.floor((i * allHeldOut.length) / count)] ?? 0,
      );
      const digits = selectRows(trained.dataset, heldOut);
      const predictions: PipelinePrediction[] = [];
      for (let i = 0; i < digits.count; i++) {
        const pixels = Array.from(digits.features.subarray(i * DIGITS_FEATURES, (i + 1) * DIGITS_FEATURES));
        const sent = performance.now();
        const response = await tenant.infer(
          options.name,
          { inputs: [{ name: DIGITS_INPUT, shape: [1, DIGITS_FEATURES], datatype: 'FP32', data: pixels }] },
          options.alias === DEFAULT_ALIAS ? undefined : options.alias,
        );
        const ms = performance.now() - sent;
        const output = response.outputs.find((candidate) => candidate.name === DIGITS_OUTPUT);
        const best = argmax(output?.data ?? []);
        if (output === undefined || output.data.length !== DIGITS_CLASSES || best.index < 0) {
          throw new CliError(
            'unexpected_output',
            `${options.name} did not answer ${DIGITS_CLASSES} probabilities`,
          );
        }
        predictions.push({
          row: heldOut[i] ?? -1,
          label: digits.labels[i] ?? -1,
          predicted: best.index,
          probability: best.value,
          version: response.model_version,
          ms,
        });
      }
      const correct = predictions.filter((p) => p.predicted === p.label).length;
      const served = [...new Set(predictions.map((p) => p.version))];
      const route =
        options.alias === DEFAULT_ALIAS
          ? `POST /v2/models/${options.name}/infer`
          : `POST /v2/models/${options.name}/versions/${options.alias}/infer`;
      step(
        'infer',
        `${predictions.length} held-out digits through ${route} with the ${tenantKey.source === 'local' ? "demo tenant's" : 'given'} key: ` +
          `${correct}/${predictions.length} correct, served by version ${served.join(', ')}` +
          (served.every((version) => version === int8.version)
            ? ''
            : ` (not only ${int8.version}: warm instances cache aliases for up to a minute)`),
      );

      const usageAfter = await tenant.usage(usageBefore.month);
      const added = usageAdded(usageBefore, usageAfter, options.name);
      const requests = added.reduce((sum, row) => sum + row.requests + row.errors, 0);
      step(
        'usage',
        `+${requests} requests metered for ${options.name} in ${usageBefore.month} ` +
          `(${added.map((row) => `version ${row.version}: +${row.requests}`).join(', ') || 'none'})`,
      );

      const summary: PipelineSummary = {
        recipe,
        model: options.name,
        alias: options.alias,
        seconds: (performance.now() - started) / 1000,
        train,
        quantize,
        validate: { passed: true, checks },
        register: { fp32, int8 },
        publish: { alias, ...(previous === undefined ? {} : { previous: targetOf(previous) }) },
        infer: { url: admin.url, key: tenantKey.source, correct, predictions },
        usage: {
          month: usageBefore.month,
          before: usageBefore.totals,
          after: usageAfter.totals,
          added,
        },
      };
      context.print(command, summary, describe);
    });
}
