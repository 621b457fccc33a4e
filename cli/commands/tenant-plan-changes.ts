import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { planChangesTable } from './plan-format';

/** `infergate tenant plan-changes <tenantId>` */
export function registerTenantPlanChanges(tenant: Command, context: CommandContext): void {
  tenant
    .command('plan-changes')
    .description("a tenant's plans over time, oldest first")
    .argument('<tenantId>', 'the tenant')
    .action(async (tenantId: string, _options: unknown, command: Command) => {
      const client = await context.client(command);
      context.print(command, await client.listPlanChanges(tenantId), ({ changes }) =>
        planChangesTable(changes),
      );
    });
}
