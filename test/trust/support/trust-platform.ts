import type { Config } from '../../../functions/config';
import type { CreatedKey } from '../../../functions/api/schemas';
import { createDocumentClient, DynamoRegistryStore } from '../../../functions/adapters/dynamodb';
import { OPERATOR_TENANT_ID } from '../../../functions/constants';
import { generateApiKey } from '../../../functions/core/keys/api-key';
import type { Scope } from '../../../functions/core/registry/types';
import type { InfergateClient } from '../../../client';
import { startTestPlatform, type TestPlatform } from '../../support/platform';
import type { RestartableDynamo } from '../../support/restartable-dynalite';
import { watchForSecrets, type SecretWatch } from './secret-watch';

/** A test platform whose whole output is captured and checked for secrets. */
export interface TrustPlatform {
  readonly platform: TestPlatform;
  readonly url: string;
  /** An admin key of the store the functions use, and a client with it. */
  readonly adminKey: string;
  readonly admin: InfergateClient;
  /** The registry the functions use. */
  readonly registry: DynamoRegistryStore;
  readonly watch: SecretWatch;
  /** A client with `apiKey`. */
  client(apiKey: string): InfergateClient;
  /**
   * Creates a tenant and one key for it; the key is remembered by the watch. The tenant is on
   * `plan` (default `enterprise`: its burst admits the hundreds of requests trust tests fire
   * at once, `free`'s would not).
   */
  tenant(name: string, scopes?: Scope[], plan?: string): Promise<TrustTenant>;
  /** Creates another key of a tenant; remembered by the watch. */
  key(
    tenantId: string,
    options?: { scopes?: Scope[]; expiresAt?: string; name?: string },
  ): Promise<CreatedKey>;
  stop(): Promise<void>;
}

export interface TrustTenant {
  readonly tenantId: string;
  readonly key: string;
  readonly keyId: string;
  readonly client: InfergateClient;
}

/**
 * Starts the platform with every log level on (`POWERTOOLS_LOG_LEVEL=DEBUG`) and the
 * process's output captured from before the first line is written. With `dynamo`, the
 * functions use that store instead of the test platform's own (whose admin key then
 * means nothing to them): an admin key is written into it, as the deploy-time bootstrap does.
 */
export async function startTrustPlatform(
  options: { overrides?: Partial<Config>; dynamo?: RestartableDynamo } = {},
): Promise<TrustPlatform> {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  const watch = watchForSecrets();
  const { dynamo } = options;
  let platform: TestPlatform;
  try {
    platform = await startTestPlatform({
      ...options.overrides,
      ...(dynamo === undefined ? {} : { dynamodbEndpoint: dynamo.endpoint, tableName: dynamo.tableName }),
    });
  } catch (error) {
    watch.stop();
    throw error;
  }
  let registry = platform.registry;
  let adminKey = platform.adminKey;
  if (dynamo !== undefined) {
    registry = new DynamoRegistryStore({
      tableName: dynamo.tableName,
      client: createDocumentClient({ client: dynamo.client }),
    });
    const generated = generateApiKey();
    await registry.createKey({
      keyId: generated.keyId,
      tenantId: OPERATOR_TENANT_ID,
      hash: generated.hash,
      scopes: ['admin'],
      createdAt: new Date().toISOString(),
    });
    adminKey = generated.key;
  }
  watch.remember(platform.adminKey);
  watch.remember(adminKey);
  const admin = platform.client(adminKey);
  const key: TrustPlatform['key'] = async (tenantId, keyOptions = {}) => {
    const created = await admin.createKey({ tenantId, ...keyOptions });
    watch.remember(created.key);
    return created;
  };
  return {
    platform,
    url: platform.url,
    adminKey,
    admin,
    registry,
    watch,
    client: (apiKey) => platform.client(apiKey),
    key,
    async tenant(name, scopes, plan = 'enterprise') {
      const { tenantId } = await admin.createTenant({ name, plan });
      const created = await key(tenantId, { scopes });
      return { tenantId, key: created.key, keyId: created.keyId, client: platform.client(created.key) };
    },
    async stop() {
      try {
        await platform.stop();
      } finally {
        watch.stop();
      }
    },
  };
}
