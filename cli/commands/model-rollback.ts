import type { Command } from 'commander';
import type { Alias, AliasTarget } from '../../client';
import { describeTarget, targetOf } from '../../functions/core/registry/alias-routes';
import { DEFAULT_ALIAS } from '../../functions/core/registry/types';
import type { CommandContext } from '../context';
import { parseAlias, parseModelName } from '../options';

function describe(result: { alias: Alias; replaced?: AliasTarget }): string {
  const { alias, replaced } = result;
  const was = replaced === undefined ? '' : ` (was ${describeTarget(replaced)})`;
  const left = alias.history?.length ?? 0;
  return (
    `${alias.modelName}:${alias.alias} rolled back to version ${describeTarget(alias)}${was}; ` +
    `${left} earlier ${left === 1 ? 'target' : 'targets'} left to roll back to`
  );
}

/** `infergate model rollback <name> [--alias prod]` */
export function registerModelRollback(model: Command, context: CommandContext): void {
  model
    .command('rollback')
    .description('point an alias (prod by default) back at the target it had before its last change')
    .argument('<name>', 'model name', parseModelName)
    .option('--alias <alias>', 'the alias to roll back', parseAlias, DEFAULT_ALIAS)
    .action(async (name: string, options: { alias: string }, command: Command) => {
      const client = await context.client(command);
      const before = (await client.getModel(name)).aliases.find((alias) => alias.alias === options.alias);
      const alias = await client.rollbackAlias(name, options.alias);
      context.print(
        command,
        { alias, ...(before === undefined ? {} : { replaced: targetOf(before) }) },
        describe,
      );
    });
}
