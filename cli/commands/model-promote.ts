import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Alias, AliasTarget, PutAliasRequest } from '../../client';
import { describeTarget, targetOf } from '../../functions/core/registry/alias-routes';
import { DEFAULT_ALIAS } from '../../functions/core/registry/types';
import type { CommandContext } from '../context';
import { CliError, UsageError } from '../errors';
import { parseAlias, parseModelName, parseVersion } from '../options';

interface PromoteOptions {
  readonly version?: string;
  readonly from?: string;
  readonly alias?: string;
  readonly to?: string;
  readonly canary?: number;
}

/**
 * Commander lets program options appear anywhere on the line, so the program's `--version`
 * (print the CLI's version) would swallow the `--version <n>` of `model promote`. After a
 * command word, `--version <n>` is passed on as `--version=<n>`, which the program does not
 * take and the subcommand does; `infergate --version` is unchanged.
 *
 * @example
 * subcommandVersionArgs(['model', 'promote', 'digits', '--version', '4']);
 * // ['model', 'promote', 'digits', '--version=4']
 */
export function subcommandVersionArgs(args: readonly string[]): string[] {
  const result: string[] = [];
  let afterCommand = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      result.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (afterCommand && arg === '--version' && next !== undefined && !next.startsWith('-')) {
      result.push(`--version=${next}`);
      i++;
      continue;
    }
    if (!arg.startsWith('-')) afterCommand = true;
    result.push(arg);
  }
  return result;
}

/** `--canary 10`: the percent of requests the promoted version takes, 1 to 99. */
export function parseCanaryPercent(value: string): number {
  const percent = Number(value.replace(/%$/, ''));
  if (!/^\d+%?$/.test(value) || percent < 1 || percent > 99) {
    throw new InvalidArgumentError('expected a percent of requests from 1 to 99, such as 10.');
  }
  return percent;
}

/**
 * The change a promotion asks for. `source` is what is promoted (a version, or another
 * alias's target); `current` is the target alias as it is now. A canary keeps the current
 * main version for the rest of the requests.
 */
export function promotionRequest(
  source: AliasTarget,
  current: Alias | undefined,
  canary: number | undefined,
  names: { readonly model: string; readonly alias: string },
): PutAliasRequest {
  const expectedRevision = current?.revision ?? 0;
  if (canary === undefined) {
    return source.routes === undefined
      ? { version: source.version, expectedRevision }
      : { routes: source.routes.map((route) => ({ ...route })), expectedRevision };
  }
  if (source.routes !== undefined) {
    throw new CliError(
      'invalid_canary',
      `a canary takes one version, and the source is split over ${describeTarget(source)}`,
    );
  }
  if (current === undefined) {
    throw new CliError(
      'nothing_to_keep',
      `${names.model}:${names.alias} does not exist yet, so no version would take the other ${100 - canary}%: promote without --canary first`,
    );
  }
  if (current.version === source.version) {
    throw new CliError(
      'invalid_canary',
      `version ${source.version} is already the main version of ${names.model}:${names.alias}`,
    );
  }
  return {
    routes: [
      { version: current.version, weight: 100 - canary },
      { version: source.version, weight: canary },
    ],
    expectedRevision,
  };
}

function describe(result: { alias: Alias; previous?: AliasTarget }): string {
  const { alias, previous } = result;
  const was = previous === undefined ? '' : ` (was ${describeTarget(previous)})`;
  return `${alias.modelName}:${alias.alias} -> version ${describeTarget(alias)}${was}`;
}

/**
 * `infergate model promote <name> --version <n> [--alias prod] [--canary <percent>]` and
 * `infergate model promote <name> --from staging --to prod [--canary <percent>]`
 */
export function registerModelPromote(model: Command, context: CommandContext): void {
  model
    .command('promote')
    .description(
      "move an alias (prod by default) to a version or to another alias's target; with --canary, only that percent of requests",
    )
    .argument('<name>', 'model name', parseModelName)
    .addOption(
      new Option('--version <n>', 'the version to promote').argParser(parseVersion).conflicts('from'),
    )
    .addOption(
      new Option('--from <alias>', "promote this alias's target (e.g. staging)").argParser(parseAlias),
    )
    .addOption(
      new Option('--alias <alias>', `the alias to move (default: ${DEFAULT_ALIAS})`)
        .argParser(parseAlias)
        .conflicts('to'),
    )
    .addOption(new Option('--to <alias>', 'the same as --alias').argParser(parseAlias))
    .addOption(
      new Option(
        '--canary <percent>',
        'send this percent of requests to it and keep the current version for the rest',
      ).argParser(parseCanaryPercent),
    )
    .action(async (name: string, options: PromoteOptions, command: Command) => {
      const wanted =
        options.from !== undefined
          ? { from: options.from }
          : options.version !== undefined
            ? { version: options.version }
            : undefined;
      if (wanted === undefined) throw new UsageError('say what to promote: --version <n>, or --from <alias>');
      const target = options.to ?? options.alias ?? DEFAULT_ALIAS;
      if ('from' in wanted && wanted.from === target)
        throw new UsageError(`--from and the alias to move are both "${target}"`);
      const client = await context.client(command);
      const { aliases } = await client.getModel(name);
      const current = aliases.find((alias) => alias.alias === target);
      let source: AliasTarget;
      if ('from' in wanted) {
        const from = aliases.find((alias) => alias.alias === wanted.from);
        if (from === undefined) {
          throw new CliError(
            'alias_not_found',
            `model ${name} has no alias "${wanted.from}" to promote from`,
          );
        }
        source = from;
      } else {
        source = wanted;
      }
      const request = promotionRequest(source, current, options.canary, { model: name, alias: target });
      const alias = await client.setAlias(name, target, request);
      context.print(
        command,
        { alias, ...(current === undefined ? {} : { previous: targetOf(current) }) },
        describe,
      );
    });
}
