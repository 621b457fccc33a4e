import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { table } from '../format';

/** `infergate tenant list` */
export function registerTenantList(tenant: Command, context: CommandContext): void {
  tenant
    .command('list')
    .description('list tenants')
    .action(async (_options: unknown, command: Command) => {
      const client = await context.client(command);
      const list = await client.listTenants();
      context.print(command, list, ({ tenants }) =>
        tenants.length === 0
          ? 'no tenants'
          : table(
              ['TENANT ID', 'NAME', 'PLAN', 'CREATED'],
              tenants.map((t) => [t.tenantId, t.name, t.plan, t.createdAt]),
            ),
      );
    });
}
