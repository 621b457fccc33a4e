import type { Context } from 'hono';
import { InfergateError } from '../core/errors';
import type { ErrorBody } from '../api/views';
import type { AppEnv } from './app-env';
import type { AppLogger } from './logger';

/**
 * The one place that turns errors into HTTP responses. Deliberate errors keep their
 * status, code and headers; anything else is logged with the request id and becomes a
 * plain 500 without internals.
 */
export function errorResponse(c: Context<AppEnv>, error: unknown, logger: AppLogger): Response {
  const requestId = c.get('requestId');
  if (error instanceof InfergateError) {
    if (error.status >= 500) {
      logger.error('Request failed', { requestId, code: error.code, error });
    }
    const body: ErrorBody = { error: error.message, code: error.code, requestId };
    return c.json(body, statusOf(error.status), { ...error.headers });
  }
  logger.error('Unhandled error', { requestId, error });
  const body: ErrorBody = { error: 'Internal server error', code: 'internal_error', requestId };
  return c.json(body, 500);
}

type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 501 | 502 | 503 | 504;

function statusOf(status: number): ErrorStatus {
  const known: readonly number[] = [400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 501, 502, 503, 504];
  return known.includes(status) ? (status as ErrorStatus) : 500;
}
