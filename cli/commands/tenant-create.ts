import { Option, type Command } from 'commander';
import type { CommandContext } from '../context';
import { parsePlanId } from '../plan-options';

/** `infergate tenant create <name> [--plan p]` */
export function registerTenantCreate(tenant: Command, context: CommandContext): void {
  tenant
    .command('create')
    .description('create a tenant')
    .argument('<name>', 'display name of the tenant')
    .addOption(new Option('--plan <plan>', 'id of its plan (default: free)').argParser(parsePlanId))
    .action(async (name: string, options: { plan?: string }, command: Command) => {
      const client = await context.client(command);
      const created = await client.createTenant({ name, plan: options.plan });
      context.print(command, created, (t) => `created tenant ${t.tenantId} (${t.name}, plan ${t.plan})`);
    });
}
