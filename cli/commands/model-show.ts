import type { Command } from 'commander';
import type { ModelDetail } from '../../client';
import { formatAliases } from '../alias-format';
import type { CommandContext } from '../context';
import { fields, formatAgreement, formatBytes, formatShape, orDash, table } from '../format';
import { parseModelName } from '../options';

function describe({ model, versions, aliases }: ModelDetail): string {
  const header = fields([
    ['name', model.name],
    ['visibility', model.visibility],
    ['owner', orDash(model.ownerTenantId)],
    ['description', orDash(model.description)],
    ['created', model.createdAt],
    ['aliases', formatAliases(aliases)],
  ]);
  if (versions.length === 0) return `${header}\n\nno versions`;
  const rows = versions.map((v) => [
    v.version,
    v.tier,
    formatBytes(v.artifact.size),
    v.artifact.sha256.slice(0, 12),
    v.inputs.map((s) => `${s.name} ${s.datatype} ${formatShape(s.shape)}`).join(', '),
    v.createdAt,
    v.agreement === undefined ? '-' : formatAgreement(v.agreement),
  ]);
  return `${header}\n\n${table(['VERSION', 'TIER', 'SIZE', 'SHA256', 'INPUTS', 'CREATED', 'AGREEMENT'], rows)}`;
}

/** `infergate model show <name>` */
export function registerModelShow(model: Command, context: CommandContext): void {
  model
    .command('show')
    .description('show a model with its versions and aliases')
    .argument('<name>', 'model name', parseModelName)
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = await context.client(command);
      context.print(command, await client.getModel(name), describe);
    });
}
