import type { Alias } from '../client';
import { describeTarget } from '../functions/core/registry/alias-routes';

/**
 * One alias as the CLI shows it: `prod -> 3 (90%), 4 (10%); rollback to 3`, or
 * `staging -> 4` when it has no earlier target.
 */
export function formatAlias(alias: Alias): string {
  const previous = alias.history?.[0];
  const rollback = previous === undefined ? '' : `; rollback to ${describeTarget(previous)}`;
  return `${alias.alias} -> ${describeTarget(alias)}${rollback}`;
}

/** Every alias of a model on one line, separated by ` | `; `-` when there is none. */
export function formatAliases(aliases: readonly Alias[]): string {
  return aliases.map(formatAlias).join(' | ') || '-';
}
