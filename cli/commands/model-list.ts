import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { orDash, table } from '../format';

/** `infergate model list` */
export function registerModelList(model: Command, context: CommandContext): void {
  model
    .command('list')
    .description('list every model')
    .action(async (_options: unknown, command: Command) => {
      const client = await context.client(command);
      const list = await client.listModels();
      context.print(command, list, ({ models }) =>
        models.length === 0
          ? 'no models'
          : table(
              ['NAME', 'VISIBILITY', 'OWNER', 'LATEST', 'DESCRIPTION'],
              models.map((m) => [
                m.name,
                m.visibility,
                orDash(m.ownerTenantId),
                m.latestVersion === 0 ? '-' : String(m.latestVersion),
                orDash(m.description),
              ]),
            ),
      );
    });
}
