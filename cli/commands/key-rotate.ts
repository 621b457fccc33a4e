import { InvalidArgumentError, Option, type Command } from 'commander';
import { MAX_ROTATION_OVERLAP_SECONDS } from '../../functions/api/schemas';
import type { CommandContext } from '../context';
import { parseExpires, parseKeyId } from '../options';

const OVERLAP_PATTERN = /^(\d+)([smhdw]?)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * `--overlap`: how long the old key keeps working, as seconds (`90`, `90s`) or a duration
 * (`10m`, `1h`, `7d`, `2w`), from 0 to 30 days.
 *
 * @example
 * parseOverlap('1h'); // 3600
 */
export function parseOverlap(value: string): number {
  const match = OVERLAP_PATTERN.exec(value.trim());
  if (match === null) {
    throw new InvalidArgumentError(
      'expected seconds or a duration such as 90s, 10m, 1h, 7d (0 ends it now).',
    );
  }
  const [, amount = '', unit = ''] = match;
  const seconds = Number(amount) * (UNIT_SECONDS[unit] ?? 1);
  if (seconds > MAX_ROTATION_OVERLAP_SECONDS) {
    throw new InvalidArgumentError('the overlap can be at most 30 days.');
  }
  return seconds;
}

interface KeyRotateOptions {
  readonly overlap?: number;
  readonly expires?: string;
}

/** `infergate key rotate <keyId> [--overlap 1h] [--expires 90d]` */
export function registerKeyRotate(key: Command, context: CommandContext): void {
  key
    .command('rotate')
    .description(
      'replace a key with a new one (shown once) of the same tenant, scopes and name; the old key keeps working for the overlap',
    )
    .argument('<keyId>', 'id of the key to replace (the 16 hex digits after igk_)', parseKeyId)
    .addOption(
      new Option(
        '--overlap <duration>',
        'how long the old key keeps working: 90s, 10m, 1h, 7d (default 1h)',
      ).argParser(parseOverlap),
    )
    .addOption(
      new Option(
        '--expires <when>',
        'when the new key expires: ISO date-time with offset, or a duration such as 30d (default: never)',
      ).argParser((value: string) => parseExpires(value, context.io.now())),
    )
    .action(async (keyId: string, options: KeyRotateOptions, command: Command) => {
      const client = await context.client(command);
      const rotated = await client.rotateKey(keyId, {
        overlapSeconds: options.overlap,
        expiresAt: options.expires,
      });
      context.print(command, rotated, (k) =>
        [
          `created key ${k.keyId} for tenant ${k.tenantId} (scopes ${k.scopes.join(', ')}; ` +
            `${k.expiresAt === undefined ? 'no expiry' : `expires ${k.expiresAt}`})`,
          `key ${k.replaced.keyId} keeps working until ${k.replaced.expiresAt}`,
          '',
          `  ${k.key}`,
          '',
          'Store this key now: it is not shown again.',
        ].join('\n'),
      );
    });
}
