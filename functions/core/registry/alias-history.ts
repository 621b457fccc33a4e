import { targetOf } from './alias-routes';
import { ALIAS_HISTORY_LIMIT, type Alias, type AliasHistoryEntry, type AliasTarget } from './types';

/**
 * How an alias changes, as pure functions: a change pushes the target it replaces on the
 * alias's history (latest first, at most `ALIAS_HISTORY_LIMIT` entries) and a rollback pops
 * it back, so repeated rollbacks walk further back. Each adds one to `revision`, which the
 * store's conditional write checks, so that two concurrent changes cannot both apply.
 */

/** The stored revision of an alias: 0 when it does not exist or predates revisions. */
export function revisionOf(alias: Alias | undefined): number {
  return alias?.revision ?? 0;
}

/**
 * The alias after pointing it at `target` at instant `at` (ISO): the current target, if
 * any, becomes the latest history entry.
 *
 * @example
 * const next = changedAlias(current, { modelName: 'digits', alias: 'prod' }, { version: '4' }, now);
 * next.history?.[0]; // the target `current` had, with its updatedAt
 */
export function changedAlias(
  current: Alias | undefined,
  names: { readonly modelName: string; readonly alias: string },
  target: AliasTarget,
  at: string,
): Alias {
  const history: AliasHistoryEntry[] =
    current === undefined
      ? []
      : [{ ...targetOf(current), updatedAt: current.updatedAt }, ...(current.history ?? [])].slice(
          0,
          ALIAS_HISTORY_LIMIT,
        );
  return {
    modelName: names.modelName,
    alias: names.alias,
    ...targetOf(target),
    updatedAt: at,
    revision: revisionOf(current) + 1,
    history,
  };
}

/**
 * The alias after a rollback at instant `at`: the latest history entry becomes the target
 * again and leaves the history. Undefined when there is no history to roll back to.
 */
export function rolledBackAlias(current: Alias, at: string): Alias | undefined {
  const [previous, ...older] = current.history ?? [];
  if (previous === undefined) return undefined;
  return {
    modelName: current.modelName,
    alias: current.alias,
    ...targetOf(previous),
    updatedAt: at,
    revision: revisionOf(current) + 1,
    history: older,
  };
}
