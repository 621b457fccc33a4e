import type { Scope } from '../registry/types';

/** Who is calling: the authenticated key and its tenant. */
export interface Principal {
  readonly keyId: string;
  readonly tenantId: string;
  readonly scopes: readonly Scope[];
}

/** `admin` implies every other scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}

export function isAdmin(principal: Principal): boolean {
  return principal.scopes.includes('admin');
}
