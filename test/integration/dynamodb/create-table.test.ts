import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../../functions/adapters/dynamodb/create-table';
import { TABLE_DESIGN } from '../../../functions/adapters/dynamodb/table-design';
import { type LocalDynamo, startDynalite } from '../../support/dynalite';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

test('the created table follows the design: keys, indexes, on-demand billing', async () => {
  const { Table: table } = await dynamo.client.send(
    new DescribeTableCommand({ TableName: dynamo.tableName }),
  );

  expect(table?.TableStatus).toBe('ACTIVE');
  expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  expect(table?.KeySchema).toStrictEqual([
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  const indexes = (table?.GlobalSecondaryIndexes ?? [])
    .map((index) => ({
      name: index.IndexName,
      keys: index.KeySchema?.map((key) => key.AttributeName),
      projection: index.Projection?.ProjectionType,
    }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  expect(indexes).toStrictEqual(
    Object.values(TABLE_DESIGN.globalSecondaryIndexes).map((gsi) => ({
      name: gsi.indexName,
      keys: [gsi.partitionKey, gsi.sortKey],
      projection: gsi.projection,
    })),
  );
});

test('creating a table that exists already succeeds and keeps it', async () => {
  await expect(createTable(dynamo.client, dynamo.tableName)).resolves.toBeUndefined();

  const { Table: table } = await dynamo.client.send(
    new DescribeTableCommand({ TableName: dynamo.tableName }),
  );
  expect(table?.TableStatus).toBe('ACTIVE');
});
