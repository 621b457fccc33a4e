import type * as z from 'zod/v4/core';
import { BadRequestError } from '../core/errors';

/** What `safeParse` answers, for the full Zod and Zod Mini alike. */
type ParseResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: { readonly issues: readonly z.$ZodIssue[] } };

/**
 * Validates a parsed body against a schema; 400 `invalid_request` naming every field
 * that is wrong and what was expected.
 */
export function parseWith<S extends z.$ZodType & { safeParse(value: unknown): ParseResult<z.output<S>> }>(
  schema: S,
  value: unknown,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : 'body';
    return `${path}: ${issue.message}`;
  });
  throw new BadRequestError('invalid_request', `Invalid request: ${problems.join('; ')}`);
}
