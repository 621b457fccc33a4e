import { Option, type Command } from 'commander';
import type { CommandContext } from '../context';
import {
  collectModelName,
  collectModelPrice,
  collectTierPrice,
  createPlanRequest,
  parseBurst,
  parseCurrency,
  parseMaxPayload,
  parseModels,
  parsePlanId,
  parseQuota,
  parseRate,
  parseTiers,
  type PlanOptionValues,
} from '../plan-options';
import { describePlan } from './plan-format';

/**
 * The options `plan create` and `plan update` share; `update` adds the `--no-` forms that
 * remove a limit and `--drop-model-price`.
 */
export function addPlanOptions(command: Command, mode: 'create' | 'update'): Command {
  command
    .option('--description <text>', 'what the plan is for')
    .addOption(
      new Option('--quota <requests>', 'successful requests per calendar month (UTC)').argParser(parseQuota),
    )
    .addOption(new Option('--rate <rps>', 'sustained requests per second').argParser(parseRate))
    .addOption(
      new Option(
        '--burst <requests>',
        'requests allowed at once above the rate (default: one second of it)',
      ).argParser(parseBurst),
    )
    .addOption(
      new Option('--tiers <list>', 'tiers the plan may call: lambda,sagemaker').argParser(parseTiers),
    )
    .addOption(new Option('--models <list>', 'the only models the plan may call: a,b').argParser(parseModels))
    .addOption(
      new Option(
        '--max-payload <bytes>',
        'largest request body: bytes, or with KB/MB (at most 6MB)',
      ).argParser(parseMaxPayload),
    )
    .addOption(
      new Option('--currency <code>', 'ISO 4217 currency of the prices (default USD)').argParser(
        parseCurrency,
      ),
    )
    .addOption(
      new Option(
        '--price <tier=per1k/perSecond>',
        'price of a tier per 1,000 requests and per compute-second, e.g. lambda=0.40/0.00005 (repeatable)',
      ).argParser(collectTierPrice),
    )
    .addOption(
      new Option(
        '--model-price <model=per1k/perSecond>',
        'price of one model, over its tier price (repeatable)',
      ).argParser(collectModelPrice),
    );
  if (mode === 'update') {
    command
      .option('--no-description', 'remove the description')
      .option('--no-quota', 'no monthly quota (unlimited)')
      .option('--no-rate', 'no rate limit (unlimited)')
      .option('--no-models', 'allow every model')
      .addOption(
        new Option(
          '--drop-model-price <model>',
          "remove a model's price: its tier price applies (repeatable)",
        ).argParser(collectModelName),
      );
  }
  return command;
}

/** `infergate plan create <id> [--quota n] [--rate rps] [--burst n] [--tiers ...] [--price tier=a/b ...] ...` */
export function registerPlanCreate(plan: Command, context: CommandContext): void {
  const command = plan
    .command('create')
    .description(
      'create a plan: limits (absent: unlimited) and prices (decimals, per 1,000 requests and per compute-second)',
    )
    .argument('<id>', 'plan id, e.g. team', parsePlanId);
  addPlanOptions(command, 'create').action(async (id: string, options: PlanOptionValues, cmd: Command) => {
    const request = createPlanRequest(id, options);
    const client = await context.client(cmd);
    context.print(
      cmd,
      await client.createPlan(request),
      (created) => `created plan ${created.planId}\n${describePlan(created)}`,
    );
  });
}
