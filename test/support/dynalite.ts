import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { createTable } from '../../functions/adapters/dynamodb/create-table';

/** The part of dynalite's (untyped) API used here: it returns an unstarted `http.Server`. */
type DynaliteFactory = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

const requireModule = createRequire(__filename);
const dynalite: DynaliteFactory = requireModule('dynalite');

/** A running embedded DynamoDB with the Infergate table created. */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  /** A low-level client for the endpoint (dummy credentials); destroyed by `stop()`. */
  readonly client: DynamoDBClient;
  /** A new client for the same endpoint with extra settings (few retries, short timeouts, ...). */
  createClient(config?: DynamoDBClientConfig): DynamoDBClient;
  /** Stops the server (its data is in memory and is lost) and destroys the clients it made. */
  stop(): Promise<void>;
}

/** Credentials and region the embedded server accepts (it checks neither). */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * Starts dynalite in memory on 127.0.0.1 and a random port, and creates the table.
 *
 * @example
 * const dynamo = await startDynalite();
 * const registry = new DynamoRegistryStore({ tableName: dynamo.tableName, client: createDocumentClient({ client: dynamo.client }) });
 * afterAll(() => dynamo.stop());
 */
export async function startDynalite(options: { tableName?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('dynalite is not listening on TCP');
  const { port } = address;
  const endpoint = `http://127.0.0.1:${port}`;
  const tableName = options.tableName ?? `infergate-test-${randomBytes(4).toString('hex')}`;

  const clients: DynamoDBClient[] = [];
  const createClient = (config: DynamoDBClientConfig = {}): DynamoDBClient => {
    const created = new DynamoDBClient({ ...LOCAL_AWS, endpoint, ...config });
    clients.push(created);
    return created;
  };
  const client = createClient();

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const created of clients) created.destroy();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  };

  try {
    await createTable(client, tableName);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, tableName, client, createClient, stop };
}
