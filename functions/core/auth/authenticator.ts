import { ForbiddenError, UnauthorizedError } from '../errors';
import { keyMatchesHash, parseApiKey } from '../keys/api-key';
import { TtlCache } from '../cache/ttl-cache';
import type { RegistryStore } from '../registry/registry-store';
import type { ApiKeyRecord, Scope } from '../registry/types';
import { hasScope, type Principal } from './principal';

export interface AuthenticatorOptions {
  readonly store: Pick<RegistryStore, 'getKey'>;
  /**
   * How long a key record stays cached. Revocation takes effect within this time;
   * 0 reads the store on every request (immediate revocation).
   */
  readonly cacheTtlMs: number;
  readonly now?: () => number;
}

/**
 * Turns a presented API key into a `Principal`, or throws 401. The key record is read by
 * its public key id and cached for `cacheTtlMs`; the secret is checked against the stored
 * SHA-256 on every request, and expiry is checked against the clock on every request.
 * A store failure propagates (503): authentication fails closed.
 */
export class Authenticator {
  private readonly store: Pick<RegistryStore, 'getKey'>;
  private readonly cache: TtlCache<string, ApiKeyRecord | undefined>;
  private readonly now: () => number;

  public constructor(options: AuthenticatorOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.cache = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: 50_000, now: this.now });
  }

  public async authenticate(presented: string | undefined): Promise<Principal> {
    if (presented === undefined || presented === '') {
      throw new UnauthorizedError(
        'missing_key',
        'An API key is required: send "Authorization: Bearer <key>" or "x-api-key: <key>"',
      );
    }
    const parsed = parseApiKey(presented);
    if (parsed === undefined) {
      throw new UnauthorizedError('malformed_key', 'The API key is malformed: expected igk_<keyId>_<secret>');
    }
    const record = await this.cache.getOrLoad(parsed.keyId, () => this.store.getKey(parsed.keyId));
    if (record === undefined || !keyMatchesHash(presented, record.hash)) {
      throw new UnauthorizedError('invalid_key', 'The API key is not valid');
    }
    if (record.revokedAt !== undefined && Date.parse(record.revokedAt) <= this.now()) {
      throw new UnauthorizedError('key_revoked', 'The API key has been revoked');
    }
    if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= this.now()) {
      throw new UnauthorizedError('key_expired', 'The API key has expired');
    }
    return { keyId: record.keyId, tenantId: record.tenantId, scopes: record.scopes };
  }
}

/** Throws 403 unless the principal holds the scope. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!hasScope(principal, scope)) {
    throw new ForbiddenError('insufficient_scope', `This operation needs a key with the "${scope}" scope`);
  }
}

/**
 * Extracts the presented key from request headers (`Authorization: Bearer` or `x-api-key`).
 * Header names are expected in lower case, as API Gateway delivers them.
 */
export function presentedKey(headers: { get(name: string): string | null | undefined }): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization !== null && authorization !== undefined && authorization !== '') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1] === undefined) {
      throw new UnauthorizedError(
        'malformed_authorization',
        'The Authorization header must be "Bearer <key>"',
      );
    }
    return match[1];
  }
  const apiKey = headers.get('x-api-key');
  return apiKey === null || apiKey === undefined ? undefined : apiKey.trim();
}
