import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { parsePlanId, updatePlanRequest, type PlanOptionValues } from '../plan-options';
import { addPlanOptions } from './plan-create';
import { describePlan } from './plan-format';

/** `infergate plan update <id> [--quota n | --no-quota] [--rate rps | --no-rate] ...` */
export function registerPlanUpdate(plan: Command, context: CommandContext): void {
  const command = plan
    .command('update')
    .description('change a plan: only the options given change; tenants on it get the change at once')
    .argument('<id>', 'plan id', parsePlanId);
  addPlanOptions(command, 'update').action(async (id: string, options: PlanOptionValues, cmd: Command) => {
    const patch = updatePlanRequest(options);
    const client = await context.client(cmd);
    context.print(
      cmd,
      await client.updatePlan(id, patch),
      (updated) => `updated plan ${updated.planId}\n${describePlan(updated)}`,
    );
  });
}
