import type { Tracer } from '@aws-lambda-powertools/tracer';
import { createDocumentClient, DynamoRegistryStore, DynamoUsageStore } from '../adapters/dynamodb';
import { S3ArtifactStore, S3UsageSpill } from '../adapters/s3';
import type { Config } from '../config';
import { createAwsClients } from './aws-clients';

/**
 * The registry, usage and artifact stores of a function and the spill of usage writes, over
 * one traced DynamoDB client and one traced S3 client. Every composition root builds its
 * own here.
 */
export function createStores(config: Config, tracer: Tracer) {
  const clients = createAwsClients(config);
  const documentClient = createDocumentClient({ client: tracer.captureAWSv3Client(clients.dynamodb) });
  const s3 = tracer.captureAWSv3Client(clients.s3);
  return {
    registry: new DynamoRegistryStore({ tableName: config.tableName, client: documentClient }),
    usage: new DynamoUsageStore({
      tableName: config.tableName,
      client: documentClient,
      writeClient: createDocumentClient({ client: tracer.captureAWSv3Client(clients.meteringDynamodb) }),
    }),
    artifacts: new S3ArtifactStore({ bucket: config.artifactBucket, client: s3 }),
    usageSpill: new S3UsageSpill({ bucket: config.artifactBucket, client: s3 }),
  };
}
