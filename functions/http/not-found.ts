import type { Context } from 'hono';
import { InfergateError, NotFoundError } from '../core/errors';
import { ROUTES } from '../routes';
import type { AppEnv } from './app-env';

const templates = ROUTES.map((route) => ({
  method: route.method,
  pattern: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** The methods of the routes whose template matches `path` (none when no route has that path). */
export function allowedMethods(path: string): string[] {
  return [...new Set(templates.filter((t) => t.pattern.test(path)).map((t) => t.method))];
}

/**
 * The answer to a request no route takes: 405 with `Allow` when the path exists with other
 * methods, otherwise 404.
 */
export function noRouteError(method: string, path: string): InfergateError {
  const allowed = allowedMethods(path);
  if (allowed.length > 0) {
    return new InfergateError(
      405,
      'method_not_allowed',
      `Method ${method.slice(0, 20)} is not allowed on ${path.slice(0, 200)}; allowed: ${allowed.join(', ')}`,
      { headers: { allow: allowed.join(', ') } },
    );
  }
  return new NotFoundError('route_not_found', `No route for ${method.slice(0, 20)} ${path.slice(0, 200)}`);
}

/** For requests no route of the app matched: see {@link noRouteError}. */
export function routeNotFound(c: Context<AppEnv>): InfergateError {
  return noRouteError(c.req.method, c.req.path);
}
