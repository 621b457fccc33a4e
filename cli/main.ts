import { Command, Option } from 'commander';
import packageJson from '../package.json';
import { registerKeyCreate } from './commands/key-create';
import { registerKeyList } from './commands/key-list';
import { registerKeyRevoke } from './commands/key-revoke';
import { registerKeyRotate } from './commands/key-rotate';
import { registerModelList } from './commands/model-list';
import { registerModelPipeline } from './commands/model-pipeline';
import { registerModelPromote, subcommandVersionArgs } from './commands/model-promote';
import { registerModelPublish } from './commands/model-publish';
import { registerModelRegister } from './commands/model-register';
import { registerModelRollback } from './commands/model-rollback';
import { registerModelShow } from './commands/model-show';
import { registerModelQuantize } from './commands/model-quantize';
import { registerModelTrain } from './commands/model-train';
import { registerPlanCreate } from './commands/plan-create';
import { registerPlanList } from './commands/plan-list';
import { registerPlanShow } from './commands/plan-show';
import { registerPlanUpdate } from './commands/plan-update';
import { registerTenantCreate } from './commands/tenant-create';
import { registerTenantList } from './commands/tenant-list';
import { registerTenantPlanChanges } from './commands/tenant-plan-changes';
import { registerTenantSetPlan } from './commands/tenant-set-plan';
import { registerUsageReport } from './commands/usage-report';
import { registerUsageShow } from './commands/usage-show';
import { createContext } from './context';
import { reportError } from './errors';
import { processIo, type CliIo } from './io';
import { parseUrl } from './options';

/**
 * The `infergate` command line: operator commands over the admin API.
 *
 * @example
 * const program = buildProgram(io);
 * await program.parseAsync(['tenant', 'list', '--json'], { from: 'user' });
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('infergate')
    .description('Operate an Infergate platform: tenants, API keys, models and usage.')
    .version(packageJson.version, '-V, --version')
    .addOption(
      new Option('--url <url>', 'platform URL (default: $INFERGATE_URL, else the local platform)').argParser(
        parseUrl,
      ),
    )
    .option('--admin-key <key>', "admin API key (default: $INFERGATE_ADMIN_KEY, else the local platform's)")
    .option('--json', 'print the response as one JSON document')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const context = createContext(io);

  const tenant = program.command('tenant').description('manage tenants');
  registerTenantCreate(tenant, context);
  registerTenantList(tenant, context);
  registerTenantSetPlan(tenant, context);
  registerTenantPlanChanges(tenant, context);

  const plan = program
    .command('plan')
    .description('manage plans: quotas, rate limits, tiers, models and prices');
  registerPlanCreate(plan, context);
  registerPlanUpdate(plan, context);
  registerPlanList(plan, context);
  registerPlanShow(plan, context);

  const key = program.command('key').description('manage API keys');
  registerKeyCreate(key, context);
  registerKeyList(key, context);
  registerKeyRevoke(key, context);
  registerKeyRotate(key, context);

  const model = program.command('model').description('register, publish and inspect models');
  registerModelRegister(model, context);
  registerModelPublish(model, context);
  registerModelPromote(model, context);
  registerModelRollback(model, context);
  registerModelList(model, context);
  registerModelShow(model, context);
  registerModelTrain(model, context);
  registerModelQuantize(model, context);
  registerModelPipeline(model, context);

  const usage = program.command('usage').description('metered usage');
  registerUsageShow(usage, context);
  registerUsageReport(usage, context);

  return program;
}

/** Runs one command line (without `node` and the script) and returns the exit status. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(subcommandVersionArgs(args), { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Entry point of `bin/infergate.js` and `tsx cli/main.ts`. */
export async function main(args: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runCli(args, processIo());
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
