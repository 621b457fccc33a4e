import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { parsePlanId } from '../plan-options';
import { describePlan } from './plan-format';

/** `infergate plan show <id>` */
export function registerPlanShow(plan: Command, context: CommandContext): void {
  plan
    .command('show')
    .description('show a plan: its limits and prices')
    .argument('<id>', 'plan id', parsePlanId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const client = await context.client(command);
      context.print(command, await client.getPlan(id), describePlan);
    });
}
