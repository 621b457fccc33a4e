import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoLimitStore } from '../adapters/dynamodb/limit-store';
import type { Config } from '../config';
import { Limiter } from '../core/limits/limiter';
import { TenantPlans } from '../core/limits/tenant-plans';
import type { RegistryStore } from '../core/registry/registry-store';

/**
 * The data plane's plan enforcement: tenants' plans read through the key cache's TTL, and
 * the limiter over its own DynamoDB client. That client makes one attempt per send: the
 * store retries admit-and-meter writes itself, with the write's writer and number, so that a
 * retry cannot count one twice. Its request timeout is longer than the other clients' (10 s;
 * after an unknown outcome a write is sent once more, within the function's 28 s): one whose
 * outcome stays unknown is served and spilled for the replay, so it is worth waiting for an
 * answer that is merely slow (a hot tenant's record queues its writes).
 *
 * @example
 * const { plans, limiter } = createPlanEnforcement(config, tracer, registry);
 */
export function createPlanEnforcement(
  config: Config,
  tracer: Tracer,
  registry: Pick<RegistryStore, 'getTenant' | 'getPlan'>,
) {
  const client = new DynamoDBClient({
    endpoint: config.dynamodbEndpoint,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
  const store = new DynamoLimitStore({
    tableName: config.tableName,
    client: createDocumentClient({ client: tracer.captureAWSv3Client(client) }),
  });
  return {
    plans: new TenantPlans({ store: registry, cacheTtlMs: config.keyCacheTtlSeconds * 1000 }),
    limiter: new Limiter({ store }),
  };
}
