import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoFault } from './restartable-dynalite';

/**
 * What the proxy does with one request:
 * - `pass`: forwards it and returns the answer;
 * - a `DynamoFault` (`{ status, type }`): answers with that DynamoDB error; the table never sees it;
 * - `reset`: cuts the connection without forwarding (the table is unreachable);
 * - `drop-answer`: forwards it (the table applies it) and cuts the connection instead of answering;
 * - `stall-answer`: forwards it (the table applies it) and never answers: the client times out.
 */
export type ProxyFault = 'pass' | 'reset' | 'drop-answer' | 'stall-answer' | DynamoFault;

/** One request the proxy saw: its DynamoDB operation and what the proxy did. */
export interface ProxiedRequest {
  readonly operation: string;
  readonly fault: string;
}

/** A fault-injecting HTTP proxy in front of an embedded DynamoDB. */
export interface DynamoFaultProxy {
  /** Endpoint for SDK clients. */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly ProxiedRequest[];
  /** Decides each request's fate from its operation (`UpdateItem`, `Query`, ...); none means `pass`. */
  setFaults(decide: ((operation: string) => ProxyFault) | undefined): void;
  close(): Promise<void>;
}

function label(fault: ProxyFault): string {
  return typeof fault === 'string' ? fault : `${fault.status} ${fault.type}`;
}

/**
 * Starts a proxy on 127.0.0.1 and a random port that forwards to `target` (dynalite) and
 * injects faults chosen per request, so that tests run the real SDK client against the
 * real embedded table through throttling, 5xx, lost answers and outages.
 *
 * @example
 * const proxy = await startDynamoFaultProxy(dynamo.endpoint);
 * proxy.setFaults((operation) => (operation === 'UpdateItem' ? 'stall-answer' : 'pass'));
 */
export async function startDynamoFaultProxy(target: string): Promise<DynamoFaultProxy> {
  let decide: ((operation: string) => ProxyFault) | undefined;
  const requests: ProxiedRequest[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const operation = String(incoming.headers['x-amz-target'] ?? '').replace(/^.*\./, '');
      const fault = decide?.(operation) ?? 'pass';
      requests.push({ operation, fault: label(fault) });
      if (fault === 'reset') {
        outgoing.destroy();
        return;
      }
      if (typeof fault !== 'string') {
        const body = JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`,
          message: 'injected by the test',
        });
        outgoing.writeHead(fault.status, {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': Buffer.byteLength(body),
        });
        outgoing.end(body);
        return;
      }
      const forward = request(
        `${target}${incoming.url ?? '/'}`,
        { method: incoming.method, headers: incoming.headers },
        (response) => {
          const answer: Buffer[] = [];
          response.on('data', (chunk: Buffer) => answer.push(chunk));
          response.on('end', () => {
            // Applied by the table; the answer is lost on the way back.
            if (fault === 'drop-answer') outgoing.destroy();
            if (fault !== 'pass') return;
            outgoing.writeHead(response.statusCode ?? 500, response.headers);
            outgoing.end(Buffer.concat(answer));
          });
        },
      );
      forward.on('error', () => outgoing.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy is not on TCP');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    setFaults(next) {
      decide = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
