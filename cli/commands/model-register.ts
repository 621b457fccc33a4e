import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { pipelineSchema, type PipelineRequest } from '../../functions/api/schemas';
import { TIERS, type Tier } from '../../functions/core/registry/types';
import type { ModelVersion } from '../../client';
import type { CommandContext } from '../context';
import { UsageError } from '../errors';
import { formatAgreement, formatBytes, formatShape } from '../format';
import { parseModelName, parseVersion } from '../options';
import { uploadProgress } from '../progress';

interface ModelRegisterOptions {
  readonly tier: Tier;
  readonly public?: boolean;
  readonly tenant?: string;
  readonly description?: string;
  readonly baseline?: string;
  readonly pipeline?: string;
  readonly endpoint?: string;
}

async function fileSize(file: string): Promise<number> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) throw new UsageError(`no such file: ${file}`);
  if (!info.isFile()) throw new UsageError(`not a regular file: ${file}`);
  if (info.size === 0) throw new UsageError(`file is empty: ${file}`);
  return info.size;
}

/** Reads and checks a pipeline file before anything is uploaded; problems are usage errors naming the field. */
async function readPipeline(file: string, cwd: string): Promise<PipelineRequest> {
  const text = await readFile(path.resolve(cwd, file), 'utf8').catch((error: unknown) => {
    throw new UsageError(
      `cannot read the pipeline file ${file}: ${error instanceof Error ? error.message : 'unreadable'}`,
    );
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `the pipeline file ${file} is not JSON: ${error instanceof Error ? error.message : 'unreadable'}`,
    );
  }
  const parsed = pipelineSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'pipeline'}: ${issue.message}`,
    );
    throw new UsageError(`the pipeline in ${file} is invalid: ${problems.join('; ')}`);
  }
  // The file as written: the platform applies the defaults (and checks it against the model).
  return value as PipelineRequest;
}

/** One line about a version's pipeline: what it takes and what it answers. */
function describePipeline(version: ModelVersion): string[] {
  const pipeline = version.pipeline;
  if (pipeline === undefined) return [];
  const { input, output, orientation } = pipeline;
  const size =
    input.resize.mode === 'fixed'
      ? `${input.resize.width}x${input.resize.height}`
      : `height ${input.resize.height}, width up to ${input.resize.maxWidth}`;
  const task =
    output.type === 'classification'
      ? `top-${output.topK} of ${output.labels.length} labels`
      : `CTC text over ${output.vocabulary.length} classes`;
  const turn = orientation === undefined ? '' : `, oriented by ${orientation.model}`;
  return [
    `pipeline: ${input.formats.join('/')} image (${size}, ${input.layout} ${input.channels}) -> ${task}${turn}`,
  ];
}

function describe(version: ModelVersion): string {
  const tensors = (specs: ModelVersion['inputs']): string =>
    specs.map((s) => `${s.name} ${s.datatype} ${formatShape(s.shape)}`).join(', ') || '-';
  return [
    `registered ${version.modelName} version ${version.version} ` +
      `(tier ${version.tier}, ${formatBytes(version.artifact.size)}, sha256 ${version.artifact.sha256.slice(0, 12)})`,
    `inputs:  ${tensors(version.inputs)}`,
    `outputs: ${tensors(version.outputs)}`,
    ...(version.endpointName === undefined
      ? []
      : [
          version.inferenceComponent === undefined
            ? `serves on: SageMaker endpoint ${version.endpointName}, Triton model ${version.targetModel ?? '?'}`
            : `serves on: SageMaker endpoint ${version.endpointName}, inference component ${version.inferenceComponent} (scales to zero)`,
        ]),
    ...describePipeline(version),
    ...(version.validation === undefined
      ? []
      : [
          `checked: on ${version.validation.runtime}, sample ` +
            version.validation.sample.map((s) => `${s.name} ${formatShape(s.shape)}`).join(', '),
        ]),
    ...(version.agreement === undefined
      ? []
      : [`agreement: ${formatAgreement(version.agreement)} (${version.agreement.samples} generated inputs)`]),
    `publish it with: infergate model publish ${version.modelName} ${version.version}`,
  ].join('\n');
}

/** `infergate model register <name> <file.onnx> [--tier t [--endpoint e]] [--public | --tenant id] [--description d] [--baseline v] [--pipeline p.json]` */
export function registerModelRegister(model: Command, context: CommandContext): void {
  model
    .command('register')
    .description('upload an ONNX file as the next version of a model (creating the model if needed)')
    .argument('<name>', 'model name', parseModelName)
    .argument('<file>', 'path of the .onnx file')
    .addOption(new Option('--tier <tier>', 'where the version runs').choices(TIERS).default('lambda'))
    .addOption(new Option('--public', 'every tenant may call the model').conflicts('tenant'))
    .option('--tenant <id>', 'make the model private to this tenant')
    .option('--description <text>', 'description shown to tenants (used when the model is created)')
    .option(
      '--baseline <version>',
      'compare the new version with this version on generated inputs and record the agreement',
      parseVersion,
    )
    .option(
      '--pipeline <file.json>',
      'declare pre- and post-processing for the predict route (docs/models.md)',
    )
    .option(
      '--endpoint <name>',
      'with --tier sagemaker: the GPU endpoint to serve it (default: the only one)',
    )
    .action(async (name: string, file: string, options: ModelRegisterOptions, command: Command) => {
      if (options.public !== true && options.tenant === undefined) {
        throw new UsageError('choose who may call the model: --public, or --tenant <id> for a private model');
      }
      if (options.endpoint !== undefined && options.tier !== 'sagemaker') {
        throw new UsageError('--endpoint goes with --tier sagemaker');
      }
      const pipeline =
        options.pipeline === undefined ? undefined : await readPipeline(options.pipeline, context.io.cwd);
      const size = await fileSize(file);
      const client = await context.client(command);
      const progress = uploadProgress(context.io, size);
      let version: ModelVersion;
      try {
        version = await client.registerModel(name, file, {
          tier: options.tier,
          visibility: options.public === true ? 'public' : 'private',
          ownerTenantId: options.tenant,
          description: options.description,
          baseline: options.baseline,
          pipeline,
          endpoint: options.endpoint,
          onProgress: progress.listener,
        });
      } finally {
        progress.stop();
      }
      context.print(command, version, describe);
    });
}
