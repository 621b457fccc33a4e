import type { Context } from 'hono';
import { InfergateError, NotFoundError } from '../core/errors';
import { ROUTES } from '../routes';
import type { AppEnv } from './app-env';

const templates = ROUTES.map((route) => ({
  method: route.method,
  pattern: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/**
 * For requests no route matched: 405 with `Allow` when the path exists with other
 * methods, otherwise 404.
 */
export function routeNotFound(c: Context<AppEnv>): InfergateError {
  const path = c.req.path;
  const allowed = [...new Set(templates.filter((t) => t.pattern.test(path)).map((t) => t.method))];
  if (allowed.length > 0) {
    return new InfergateError(
      405,
      'method_not_allowed',
      `Method ${c.req.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
      { headers: { allow: allowed.join(', ') } },
    );
  }
  return new NotFoundError('route_not_found', `No route for ${c.req.method} ${path.slice(0, 200)}`);
}
