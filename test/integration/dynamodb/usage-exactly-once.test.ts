import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDocumentClient, DynamoUsageStore } from '../../../functions/adapters/dynamodb';
import { LOCAL_AWS, startDynalite, type LocalDynamo } from '../../support/dynalite';

/**
 * A proxy in front of dynalite that lets `swallow` UpdateItem calls (every other one)
 * reach the table but never answers them: the client times out and retries a write the table has
 * already applied, the case that double-counts a plain `ADD`.
 */
async function startSwallowingProxy(
  target: string,
  swallow: number,
): Promise<{ url: string; swallowed: () => number; server: Server }> {
  let swallowed = 0;
  let updates = 0;
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const isUpdate = String(incoming.headers['x-amz-target'] ?? '').endsWith('.UpdateItem');
      // Every other write: the retry that follows a swallowed answer gets through.
      const swallowThis = isUpdate && updates++ % 2 === 0 && swallowed < swallow;
      const forward = request(
        `${target}${incoming.url ?? '/'}`,
        { method: incoming.method, headers: incoming.headers },
        (response) => {
          const answer: Buffer[] = [];
          response.on('data', (chunk: Buffer) => answer.push(chunk));
          response.on('end', () => {
            if (swallowThis) {
              swallowed++;
              // Applied by the table; the answer is lost on the way back.
              outgoing.destroy();
              return;
            }
            outgoing.writeHead(response.statusCode ?? 500, response.headers);
            outgoing.end(Buffer.concat(answer));
          });
        },
      );
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, swallowed: () => swallowed, server };
}

describe('DynamoUsageStore exactly once', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  it('counts each event once when the SDK retries writes the table already applied', async () => {
    const proxy = await startSwallowingProxy(dynamo.endpoint, 5);
    const client = new DynamoDBClient({
      ...LOCAL_AWS,
      endpoint: proxy.url,
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_000, throwOnRequestTimeout: true },
    });
    const store = new DynamoUsageStore({
      tableName: dynamo.tableName,
      client: createDocumentClient({ client }),
    });
    const at = new Date('2026-11-15T10:00:00Z');

    for (let i = 0; i < 20; i++) {
      await store.record({
        tenantId: 't_once',
        keyId: 'k',
        modelName: 'm',
        version: '1',
        plan: 'free',
        at,
        error: false,
        computeMs: 1,
        inputBytes: 10,
        outputBytes: 20,
      });
    }
    const rows = await store.listTenantMonth('t_once', '2026-11');
    client.destroy();
    proxy.server.closeAllConnections();
    proxy.server.close();

    expect(proxy.swallowed()).toBe(5);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ requests: 20, computeMs: 20, inputBytes: 200, outputBytes: 400 });
  });
});
