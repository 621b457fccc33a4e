import { stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { TIERS, type Tier } from '../../functions/core/registry/types';
import type { ModelVersion } from '../../client';
import type { CommandContext } from '../context';
import { UsageError } from '../errors';
import { formatBytes, formatShape } from '../format';
import { parseModelName } from '../options';
import { uploadProgress } from '../progress';

interface ModelRegisterOptions {
  readonly tier: Tier;
  readonly public?: boolean;
  readonly tenant?: string;
  readonly description?: string;
}

async function fileSize(file: string): Promise<number> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) throw new UsageError(`no such file: ${file}`);
  if (!info.isFile()) throw new UsageError(`not a regular file: ${file}`);
  if (info.size === 0) throw new UsageError(`file is empty: ${file}`);
  return info.size;
}

function describe(version: ModelVersion): string {
  const tensors = (specs: ModelVersion['inputs']): string =>
    specs.map((s) => `${s.name} ${s.datatype} ${formatShape(s.shape)}`).join(', ') || '-';
  return [
    `registered ${version.modelName} version ${version.version} ` +
      `(tier ${version.tier}, ${formatBytes(version.artifact.size)}, sha256 ${version.artifact.sha256.slice(0, 12)})`,
    `inputs:  ${tensors(version.inputs)}`,
    `outputs: ${tensors(version.outputs)}`,
    `publish it with: infergate model publish ${version.modelName} ${version.version}`,
  ].join('\n');
}

/** `infergate model register <name> <file.onnx> [--tier t] [--public | --tenant id] [--description d]` */
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
    .action(async (name: string, file: string, options: ModelRegisterOptions, command: Command) => {
      if (options.public !== true && options.tenant === undefined) {
        throw new UsageError('choose who may call the model: --public, or --tenant <id> for a private model');
      }
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
          onProgress: progress.listener,
        });
      } finally {
        progress.stop();
      }
      context.print(command, version, describe);
    });
}
