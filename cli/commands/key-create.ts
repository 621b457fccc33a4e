import { Option, type Command } from 'commander';
import type { Scope } from '../../functions/core/registry/types';
import type { CommandContext } from '../context';
import { parseExpires, parseScopes } from '../options';

interface KeyCreateOptions {
  readonly tenant: string;
  readonly scopes?: Scope[];
  readonly expires?: string;
  readonly name?: string;
}

/** `infergate key create --tenant <id> [--scopes ...] [--expires ...] [--name n]` */
export function registerKeyCreate(key: Command, context: CommandContext): void {
  key
    .command('create')
    .description('create an API key for a tenant (the key is shown once)')
    .requiredOption('--tenant <id>', 'tenant the key belongs to')
    .option('--scopes <list>', 'comma-separated scopes: infer, models:read, usage:read, admin', parseScopes)
    .addOption(
      new Option(
        '--expires <when>',
        'ISO date-time with offset, or a duration such as 12h, 30d, 2w',
      ).argParser((value: string) => parseExpires(value, context.io.now())),
    )
    .option('--name <name>', 'label to recognise the key by')
    .action(async (options: KeyCreateOptions, command: Command) => {
      const client = await context.client(command);
      const created = await client.createKey({
        tenantId: options.tenant,
        scopes: options.scopes,
        expiresAt: options.expires,
        name: options.name,
      });
      context.print(command, created, (k) =>
        [
          `created key ${k.keyId} for tenant ${k.tenantId} (scopes ${k.scopes.join(', ')}; ` +
            `${k.expiresAt === undefined ? 'no expiry' : `expires ${k.expiresAt}`})`,
          '',
          `  ${k.key}`,
          '',
          'Store this key now: it is not shown again.',
        ].join('\n'),
      );
    });
}
