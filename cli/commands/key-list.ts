import type { Command } from 'commander';
import type { KeySummary } from '../../client';
import type { CommandContext } from '../context';
import { orDash, table } from '../format';

function status(key: KeySummary, now: Date): string {
  if (key.revokedAt !== undefined) return 'revoked';
  if (key.expiresAt !== undefined && Date.parse(key.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

/** `infergate key list --tenant <id>` */
export function registerKeyList(key: Command, context: CommandContext): void {
  key
    .command('list')
    .description("list a tenant's keys (ids and metadata; keys themselves are never stored)")
    .requiredOption('--tenant <id>', 'tenant whose keys to list')
    .action(async (options: { tenant: string }, command: Command) => {
      const client = await context.client(command);
      const list = await client.listKeys(options.tenant);
      const now = context.io.now();
      context.print(command, list, ({ keys }) =>
        keys.length === 0
          ? `no keys for tenant ${options.tenant}`
          : table(
              ['KEY ID', 'NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'STATUS'],
              keys.map((k) => [
                k.keyId,
                orDash(k.name),
                k.scopes.join(','),
                k.createdAt,
                orDash(k.expiresAt),
                status(k, now),
              ]),
            ),
      );
    });
}
