import type { Context } from 'hono';
import { BadRequestError } from '../core/errors';
import type { AppEnv } from './app-env';

/**
 * The query parameters of a request, checked against the names its route takes. An
 * unknown or repeated parameter is 400 `invalid_request` naming it, so that a typo
 * (`?months=2026-01`, `?month[]=2026-01`) is refused instead of being answered for the
 * default month.
 *
 * @example
 * const { month } = readQuery(c, ['month']);
 */
export function readQuery<N extends string>(
  c: Context<AppEnv>,
  names: readonly N[],
): Partial<Record<N, string>> {
  const result: Partial<Record<N, string>> = {};
  const seen = new Set<string>();
  for (const [name, value] of new URL(c.req.url).searchParams) {
    const known = names.find((candidate) => candidate === name);
    if (known === undefined) {
      throw new BadRequestError(
        'invalid_request',
        `Unknown query parameter "${name.slice(0, 64)}"; this route takes ${names.map((n) => `"${n}"`).join(', ')}`,
      );
    }
    if (seen.has(known)) {
      throw new BadRequestError('invalid_request', `Query parameter "${known}" is given more than once`);
    }
    seen.add(known);
    result[known] = value;
  }
  return result;
}
