import { OPERATOR_TENANT_ID } from '../constants';
import { generateApiKey, type GeneratedKey } from '../core/keys/api-key';
import { ensureDefaultPlans } from '../core/plans/default-plans';
import type { RegistryStore } from '../core/registry/registry-store';
import type { ApiKeyRecord } from '../core/registry/types';
import { BootstrapError } from './errors';
import type { SecretWriter } from './secret-writer';

/**
 * The custom resource event as the CDK provider framework passes it to `onEvent`
 * (the fields this handler reads).
 */
export interface BootstrapEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
}

/** What `onEvent` answers. `Data` holds only the public key id, never the key. */
export interface BootstrapResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly KeyId: string };
}

/** Custom resource properties: where the key record and the plaintext key go. */
export interface BootstrapProperties {
  readonly tableName: string;
  readonly secretId: string;
}

export interface BootstrapLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
}

export interface BootstrapDeps {
  /** The registry of a given table (the table name is a resource property). */
  readonly storeFor: (tableName: string) => Pick<RegistryStore, 'createKey' | 'revokeKey' | 'createPlan'>;
  readonly secrets: SecretWriter;
  readonly logger: BootstrapLogger;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default generateApiKey */
  readonly generateKey?: () => GeneratedKey;
}

/** Name stored with the bootstrap key record. */
export const BOOTSTRAP_KEY_NAME = 'bootstrap admin key';
const KEY_ID = /^[0-9a-f]{16}$/;

/**
 * The bootstrap admin key's lifecycle, as a custom resource whose physical id is the key id,
 * and the default plans (`free`, `pro`, `enterprise`):
 *
 * - Create: write the default plans that are missing, generate a key, store its record
 *   (hash only, operator tenant, scope `admin`), then put the plaintext into the secret.
 * - Update: write the default plans that are missing (an upgrade from a version without
 *   plans gets them: the resource's `DefaultPlans` property changes), and keep the key,
 *   unless the table or the secret changed (a replaced resource), which issues a new key;
 *   CloudFormation then deletes the old physical id, revoking the old key. Plans that exist
 *   are never overwritten: operators may have changed them.
 * - Delete: revoke the key, so that a retained table never keeps a live key of a deleted
 *   stack. Best effort: deleting a stack must never fail on it.
 *
 * @example
 * export const handler = createBootstrapHandler({ storeFor, secrets, logger });
 */
export function createBootstrapHandler(
  deps: BootstrapDeps,
): (event: BootstrapEvent) => Promise<BootstrapResult> {
  const now = deps.now ?? (() => new Date());
  const generateKey = deps.generateKey ?? generateApiKey;

  const issue = async (properties: BootstrapProperties): Promise<BootstrapResult> => {
    const generated = generateKey();
    const record: ApiKeyRecord = {
      keyId: generated.keyId,
      tenantId: OPERATOR_TENANT_ID,
      hash: generated.hash,
      scopes: ['admin'],
      createdAt: now().toISOString(),
      name: BOOTSTRAP_KEY_NAME,
    };
    await deps.storeFor(properties.tableName).createKey(record);
    await deps.secrets.put(properties.secretId, generated.key);
    deps.logger.info('bootstrap admin key issued', { keyId: generated.keyId, secretId: properties.secretId });
    return { PhysicalResourceId: generated.keyId, Data: { KeyId: generated.keyId } };
  };

  const seedPlans = async (properties: BootstrapProperties): Promise<void> => {
    const created = await ensureDefaultPlans(deps.storeFor(properties.tableName), now().toISOString());
    deps.logger.info('default plans ensured', { created });
  };

  return async (event) => {
    switch (event.RequestType) {
      case 'Create': {
        const properties = parseProperties(event.ResourceProperties);
        await seedPlans(properties);
        return issue(properties);
      }
      case 'Update': {
        const properties = parseProperties(event.ResourceProperties);
        await seedPlans(properties);
        const keyId = event.PhysicalResourceId ?? '';
        const old = event.OldResourceProperties;
        const moved =
          old === undefined || old.TableName !== properties.tableName || old.SecretId !== properties.secretId;
        if (moved || !KEY_ID.test(keyId)) return issue(properties);
        deps.logger.info('bootstrap admin key unchanged', { keyId });
        return { PhysicalResourceId: keyId, Data: { KeyId: keyId } };
      }
      case 'Delete':
        return revoke(event);
    }
  };

  async function revoke(event: BootstrapEvent): Promise<BootstrapResult> {
    const keyId = event.PhysicalResourceId ?? '';
    if (!KEY_ID.test(keyId)) {
      deps.logger.info('nothing to revoke: no key was issued', { physicalResourceId: keyId });
      return { PhysicalResourceId: keyId || 'none', Data: { KeyId: '' } };
    }
    const tableName = event.ResourceProperties.TableName;
    try {
      if (typeof tableName !== 'string') throw new BootstrapError('TableName is missing');
      await deps.storeFor(tableName).revokeKey(keyId, now().toISOString());
      deps.logger.info('bootstrap admin key revoked', { keyId });
    } catch (error) {
      deps.logger.warn('could not revoke the bootstrap admin key; continuing the deletion', {
        keyId,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
    return { PhysicalResourceId: keyId, Data: { KeyId: keyId } };
  }
}

/** Reads the resource properties; the error names every missing or malformed one. */
export function parseProperties(properties: Readonly<Record<string, unknown>>): BootstrapProperties {
  const problems: string[] = [];
  const tableName = properties.TableName;
  const secretId = properties.SecretId;
  if (typeof tableName !== 'string' || tableName.length < 3) {
    problems.push('TableName must be the name of the registry table');
  }
  if (typeof secretId !== 'string' || secretId.length === 0) {
    problems.push('SecretId must be the ARN of the admin key secret');
  }
  if (problems.length > 0 || typeof tableName !== 'string' || typeof secretId !== 'string') {
    throw new BootstrapError(`Invalid custom resource properties: ${problems.join('; ')}`);
  }
  return { tableName, secretId };
}
