import type { Tracer } from '@aws-lambda-powertools/tracer';
import { createDocumentClient, DynamoRegistryStore, DynamoUsageStore } from '../adapters/dynamodb';
import { S3ArtifactStore } from '../adapters/s3';
import type { Config } from '../config';
import { createAwsClients } from './aws-clients';

/**
 * The registry, usage and artifact stores of a function, over one traced DynamoDB client
 * and one traced S3 client. Both composition roots build theirs here.
 */
export function createStores(config: Config, tracer: Tracer) {
  const clients = createAwsClients(config);
  const documentClient = createDocumentClient({ client: tracer.captureAWSv3Client(clients.dynamodb) });
  return {
    registry: new DynamoRegistryStore({ tableName: config.tableName, client: documentClient }),
    usage: new DynamoUsageStore({ tableName: config.tableName, client: documentClient }),
    artifacts: new S3ArtifactStore({
      bucket: config.artifactBucket,
      client: tracer.captureAWSv3Client(clients.s3),
    }),
  };
}
