import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { parseKeyId } from '../options';

/** `infergate key revoke <keyId>` */
export function registerKeyRevoke(key: Command, context: CommandContext): void {
  key
    .command('revoke')
    .description('revoke a key; cached copies stop working within the key cache TTL')
    .argument('<keyId>', 'id of the key (the 16 hex digits after igk_)', parseKeyId)
    .action(async (keyId: string, _options: unknown, command: Command) => {
      const client = await context.client(command);
      const revoked = await client.revokeKey(keyId);
      context.print(command, revoked, () => `revoked key ${keyId}`);
    });
}
