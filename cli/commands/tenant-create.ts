import type { Command } from 'commander';
import type { CommandContext } from '../context';

/** `infergate tenant create <name> [--plan p]` */
export function registerTenantCreate(tenant: Command, context: CommandContext): void {
  tenant
    .command('create')
    .description('create a tenant')
    .argument('<name>', 'display name of the tenant')
    .option('--plan <plan>', 'billing plan (the platform default when omitted)')
    .action(async (name: string, options: { plan?: string }, command: Command) => {
      const client = await context.client(command);
      const created = await client.createTenant({ name, plan: options.plan });
      context.print(command, created, (t) => `created tenant ${t.tenantId} (${t.name}, plan ${t.plan})`);
    });
}
