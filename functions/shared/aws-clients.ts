import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';

/**
 * SDK clients of a function, made once per cold start. Endpoint overrides point them at
 * the local platform's servers; everything else is the SDK's default chain.
 *
 * Timeouts are explicit: by default the SDK only warns on a request timeout, so a hung
 * connection would hold the request until the Lambda itself times out.
 */
export function createAwsClients(config: Config) {
  const dynamodb = new DynamoDBClient({
    endpoint: config.dynamodbEndpoint,
    // Worst case about 3 x (1 s + 3 s) plus backoff: a hung table fails closed (503) well
    // within the function's 28 s timeout.
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
  // Usage writes: one attempt per send. The durable recorder retries them with its own short
  // backoff and jitter within a budget that suits a waiting request (same writer and number
  // on every retry), then spills them; the SDK's throttling backoff (0.5-2 s) would eat that
  // budget in one go.
  const meteringDynamodb = new DynamoDBClient({
    endpoint: config.dynamodbEndpoint,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_000, throwOnRequestTimeout: true },
  });
  const s3 = new S3Client({
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3Endpoint !== undefined,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 20_000, throwOnRequestTimeout: true },
  });
  return { dynamodb, meteringDynamodb, s3 };
}
