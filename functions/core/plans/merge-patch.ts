/**
 * JSON Merge Patch (RFC 7396): members of `patch` replace those of `target`, `null` removes
 * a member, objects merge member by member, and anything else (arrays included) replaces.
 * `undefined` members of the patch are skipped, as JSON has none. Pure: neither argument
 * is modified.
 *
 * @example
 * applyMergePatch({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { c: 4 } }); // { b: { c: 4, d: 3 } }
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      delete result[name];
    } else {
      result[name] = applyMergePatch(result[name], value);
    }
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
