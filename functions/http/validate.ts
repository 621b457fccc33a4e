import type { z } from 'zod';
import { BadRequestError } from '../core/errors';

/**
 * Validates a parsed body against a schema; 400 `invalid_request` naming every field
 * that is wrong and what was expected.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : 'body';
    return `${path}: ${issue.message}`;
  });
  throw new BadRequestError('invalid_request', `Invalid request: ${problems.join('; ')}`);
}
