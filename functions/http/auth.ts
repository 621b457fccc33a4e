import type { Context } from 'hono';
import { presentedKey, requireScope, type Authenticator } from '../core/auth/authenticator';
import type { Principal } from '../core/auth/principal';
import type { Scope } from '../core/registry/types';
import type { AppEnv } from './app-env';

/**
 * Authenticates the request and checks the route's scope: 401 without a valid key, 403
 * without the scope. The principal is kept on the context for the access log.
 */
export async function authorize(
  c: Context<AppEnv>,
  authenticator: Authenticator,
  scope: Scope,
): Promise<Principal> {
  const principal = await authenticator.authenticate(presentedKey({ get: (name) => c.req.header(name) }));
  c.set('principal', principal);
  requireScope(principal, scope);
  return principal;
}
