import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TABLE_DESIGN, type TableDesign } from './table-design';

/** Options of {@link createTable}. */
export interface CreateTableOptions {
  /**
   * Longest wait for the table to become ACTIVE, in seconds.
   * @default 60
   */
  readonly maxWaitSeconds?: number;
}

/**
 * The `CreateTable` request for a table design: string keys, every GSI, on-demand billing.
 * Time to live is not part of `CreateTable`; the CDK stack enables it on AWS, and the
 * embedded server has no TTL (items with `expiresAt` simply stay until deleted).
 */
export function createTableInput(
  tableName: string,
  design: TableDesign = TABLE_DESIGN,
): CreateTableCommandInput {
  const indexes = Object.values(design.globalSecondaryIndexes);
  const attributeNames = new Set([
    design.partitionKey,
    design.sortKey,
    ...indexes.flatMap((gsi) => [gsi.partitionKey, gsi.sortKey]),
  ]);
  return {
    TableName: tableName,
    BillingMode: design.billingMode,
    AttributeDefinitions: [...attributeNames].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: design.partitionKey, KeyType: 'HASH' },
      { AttributeName: design.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((gsi) => ({
      IndexName: gsi.indexName,
      KeySchema: [
        { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
        { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: gsi.projection },
    })),
  };
}

/**
 * Creates the Infergate table (used by the local platform and the tests; AWS gets it from
 * CDK) and waits until it is ACTIVE. Idempotent: a table that exists already is accepted
 * as it is.
 *
 * @example
 * await createTable(new DynamoDBClient({ endpoint: 'http://127.0.0.1:4567' }), 'infergate-local');
 */
export async function createTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateTableOptions = {},
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    // By name, not instanceof: a bundle may hold two copies of the SDK.
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
  await waitUntilTableExists(
    { client, minDelay: 1, maxDelay: 5, maxWaitTime: options.maxWaitSeconds ?? 60 },
    { TableName: tableName },
  );
}
