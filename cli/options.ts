import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { NAME_PATTERN, modelNameSchema, monthSchema } from '../functions/api/schemas';
import { SCOPES, type Scope } from '../functions/core/registry/types';

/**
 * Parsers of option and argument values. Each throws commander's `InvalidArgumentError`,
 * which commander reports as a usage error naming the option (exit status 2).
 */

const DURATION_PATTERN = /^(\d+)([mhdw])$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};
const isoDateTime = z.iso.datetime({ offset: true });

/**
 * `--expires`: an ISO 8601 date-time with an offset (`2026-01-31T00:00:00Z`) or a duration
 * from now (`90m`, `12h`, `30d`, `2w`). Returns the instant as an ISO string; it must be in
 * the future.
 *
 * @example
 * parseExpires('30d', new Date('2026-01-01T00:00:00Z')); // '2026-01-31T00:00:00.000Z'
 */
export function parseExpires(value: string, now: Date): string {
  const duration = DURATION_PATTERN.exec(value.trim());
  if (duration !== null) {
    const [, amount = '', unit = ''] = duration;
    const ms = Number(amount) * (UNIT_MS[unit] ?? 0);
    if (ms <= 0) throw new InvalidArgumentError('a duration must be greater than zero.');
    return new Date(now.getTime() + ms).toISOString();
  }
  if (!isoDateTime.safeParse(value).success) {
    throw new InvalidArgumentError(
      'expected an ISO 8601 date-time with an offset (2026-01-31T00:00:00Z) or a duration such as 90m, 12h, 30d or 2w.',
    );
  }
  const at = new Date(value);
  if (at.getTime() <= now.getTime()) throw new InvalidArgumentError('the expiry must be in the future.');
  return at.toISOString();
}

/** `--scopes infer,models:read`: a comma-separated, non-empty list of known scopes. */
export function parseScopes(value: string): Scope[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new InvalidArgumentError(`expected one or more of ${SCOPES.join(', ')}.`);
  const unknown = names.filter((name) => !isScope(name));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown scope ${unknown.join(', ')}; expected some of ${SCOPES.join(', ')}.`,
    );
  }
  return [...new Set(names.filter(isScope))];
}

function isScope(name: string): name is Scope {
  return (SCOPES as readonly string[]).includes(name);
}

/** `--month YYYY-MM`. */
export function parseMonth(value: string): string {
  if (!monthSchema.safeParse(value).success) throw new InvalidArgumentError('expected a month as YYYY-MM.');
  return value;
}

/** A model name as the platform accepts it. */
export function parseModelName(value: string): string {
  if (!modelNameSchema.safeParse(value).success) {
    throw new InvalidArgumentError(
      'expected 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit.',
    );
  }
  return value;
}

/** An alias name: same rules as model names. */
export function parseAlias(value: string): string {
  if (!NAME_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      'expected 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit.',
    );
  }
  return value;
}

/** A version number (`1`, `2`, ...). */
export function parseVersion(value: string): string {
  if (!/^[1-9][0-9]{0,8}$/.test(value))
    throw new InvalidArgumentError('expected a version number such as 1.');
  return value;
}

/** A key id: the 16 hex digits after `igk_` (never the whole key, which would end up in URLs and logs). */
export function parseKeyId(value: string): string {
  if (value.startsWith('igk_')) {
    throw new InvalidArgumentError('pass the key id (the 16 hex digits after igk_), not the key itself.');
  }
  if (!/^[0-9a-f]{16}$/.test(value)) throw new InvalidArgumentError('expected a key id of 16 hex digits.');
  return value;
}

/** `--url`: an absolute http(s) URL. */
export function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an absolute URL such as https://api.example.com.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('expected an http or https URL.');
  }
  return value;
}
