import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { parsePlanId } from '../plan-options';

/** `infergate tenant set-plan <tenantId> <plan>` */
export function registerTenantSetPlan(tenant: Command, context: CommandContext): void {
  tenant
    .command('set-plan')
    .description('move a tenant to another plan from now on (the change is recorded for billing)')
    .argument('<tenantId>', 'the tenant')
    .argument('<plan>', 'id of the plan', parsePlanId)
    .action(async (tenantId: string, plan: string, _options: unknown, command: Command) => {
      const client = await context.client(command);
      const moved = await client.setTenantPlan(tenantId, plan);
      context.print(
        command,
        moved,
        (t) => `tenant ${t.tenantId} (${t.name}) is on plan ${t.plan} since ${t.planSince ?? t.createdAt}`,
      );
    });
}
