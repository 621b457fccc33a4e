import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { plansTable } from './plan-format';

/** `infergate plan list` */
export function registerPlanList(plan: Command, context: CommandContext): void {
  plan
    .command('list')
    .description('list plans')
    .action(async (_options: unknown, command: Command) => {
      const client = await context.client(command);
      context.print(command, await client.listPlans(), ({ plans }) => plansTable(plans));
    });
}
