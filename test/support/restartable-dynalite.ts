import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTable } from '../../functions/adapters/dynamodb/create-table';
import { LOCAL_AWS } from './dynalite';

/** The part of dynalite's (untyped) API used here: it returns an unstarted `http.Server`. */
type DynaliteFactory = (options: {
  path: string;
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => Server;

const requireModule = createRequire(__filename);
const dynalite: DynaliteFactory = requireModule('dynalite');

/** An error DynamoDB answers with: the HTTP status and the `__type` the SDK maps to an error name. */
export interface DynamoFault {
  readonly status: number;
  /** e.g. `InternalServerError`, `ThrottlingException`, `ServiceUnavailable`. */
  readonly type: string;
}

/** An embedded DynamoDB that a test can take down and bring back, on the same port and data. */
export interface RestartableDynamo {
  readonly endpoint: string;
  readonly port: number;
  readonly tableName: string;
  /** A low-level client for the endpoint; destroyed by `close()`. */
  readonly client: DynamoDBClient;
  /** True while the server listens. */
  readonly running: boolean;
  /**
   * Takes the server down: the port refuses connections and open connections are cut, as
   * when the process dies. The data stays on disk.
   */
  stop(): Promise<void>;
  /** Brings the server back on the same port with the same data; clients reconnect by themselves. */
  start(): Promise<void>;
  /**
   * While set, every request is answered with this error instead of being served, or, with
   * `'hang'`, read and never answered (a store that accepts connections and stalls).
   */
  failWith(fault: DynamoFault | 'hang' | undefined): void;
  /** Stops the server for good and deletes its data. */
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1 and a random port with its data in a temporary LevelDB
 * directory (so that a restart keeps it; dynalite reopens the same directory when it listens
 * again), and creates the table.
 *
 * @example
 * const dynamo = await startRestartableDynalite();
 * await dynamo.stop();   // the store is down: clients get ECONNREFUSED
 * await dynamo.start();  // back on the same port, same items
 */
export async function startRestartableDynalite(
  options: { tableName?: string } = {},
): Promise<RestartableDynamo> {
  const dir = await mkdtemp(path.join(tmpdir(), 'infergate-dynalite-'));
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  let fault: DynamoFault | 'hang' | undefined;
  const serve = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (fault === undefined) {
      for (const listener of serve) Reflect.apply(listener, server, [req, res]);
      return;
    }
    if (fault === 'hang') {
      req.resume();
      return;
    }
    const body = JSON.stringify({
      __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`,
      message: 'injected by the test',
    });
    req.resume();
    res.writeHead(fault.status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        if (address === null || typeof address === 'string') reject(new Error('dynalite is not on TCP'));
        else resolve(address.port);
      });
    });
  const port = await listen(0);
  const endpoint = `http://127.0.0.1:${port}`;
  const tableName = options.tableName ?? `infergate-test-${randomBytes(4).toString('hex')}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  let running = true;

  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  };
  const start = async (): Promise<void> => {
    if (running) return;
    // The port was ours a moment ago; retry briefly in case the OS has not released it yet.
    for (let attempt = 0; ; attempt++) {
      try {
        await listen(port);
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    running = true;
  };

  await createTable(client, tableName);
  return {
    endpoint,
    port,
    tableName,
    client,
    get running() {
      return running;
    },
    stop,
    start,
    failWith(next) {
      fault = next;
    },
    async close() {
      client.destroy();
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
