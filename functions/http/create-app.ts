import { Hono } from 'hono';
import { randomUUID } from 'node:crypto';
import type { AppEnv } from './app-env';
import { errorResponse } from './errors';
import type { AppLogger } from './logger';
import { routeNotFound } from './not-found';

/**
 * A Hono app with the platform's request id, error handling and access log. Both
 * functions build their routes on it.
 */
export function createApp(logger: AppLogger): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    const requestId = c.env?.event?.requestContext.requestId ?? randomUUID();
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    c.header('x-request-id', requestId);
    const principal = c.get('principal');
    logger.info('request', {
      requestId,
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status: c.res.status,
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
      keyId: principal?.keyId,
      tenantId: principal?.tenantId,
    });
  });
  app.onError((error, c) => errorResponse(c, error, logger));
  app.notFound((c) => errorResponse(c, routeNotFound(c), logger));
  return app;
}
