import { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient, DynamoRegistryStore } from '../adapters/dynamodb';
import { ENV } from '../constants';
import { createBootstrapHandler } from './bootstrap-key';
import { SecretsManagerSecretWriter } from './secret-writer';

/**
 * `onEvent` of the bootstrap admin key custom resource (CDK provider framework). Clients
 * are made once per cold start; the table and secret come with each event.
 * `INFERGATE_DYNAMODB_ENDPOINT` (tests) points the registry at another DynamoDB.
 */
const endpoint = process.env[ENV.DYNAMODB_ENDPOINT];
const documentClient = createDocumentClient({ clientConfig: endpoint ? { endpoint } : {} });

export const handler = createBootstrapHandler({
  storeFor: (tableName) => new DynamoRegistryStore({ tableName, client: documentClient }),
  secrets: new SecretsManagerSecretWriter(),
  logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'infergate-bootstrap' }),
});
