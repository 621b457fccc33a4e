import type { Command } from 'commander';
import { DEFAULT_ALIAS } from '../../functions/core/registry/types';
import type { CommandContext } from '../context';
import { parseAlias, parseModelName, parseVersion } from '../options';

/** `infergate model publish <name> <version> [--alias prod]` */
export function registerModelPublish(model: Command, context: CommandContext): void {
  model
    .command('publish')
    .description('point an alias (prod by default) at a version; calls without a version use prod')
    .argument('<name>', 'model name', parseModelName)
    .argument('<version>', 'version number', parseVersion)
    .option('--alias <alias>', 'alias to move', parseAlias, DEFAULT_ALIAS)
    .action(async (name: string, version: string, options: { alias: string }, command: Command) => {
      const client = await context.client(command);
      const alias = await client.setAlias(name, options.alias, version);
      context.print(command, alias, (a) => `${a.modelName}:${a.alias} -> version ${a.version}`);
    });
}
