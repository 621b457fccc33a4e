import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/**
 * A real HTTP server on 127.0.0.1 for client and CLI tests: it records every request
 * (method, path with query, headers, full body) and answers with scripted replies. It
 * holds no platform logic: each test says what the answer to each request is.
 */

export interface RecordedRequest {
  readonly method: string;
  /** Path and query string, e.g. `/admin/keys?tenantId=t1`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface Reply {
  readonly status?: number;
  /** Objects are sent as JSON; strings as they are. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Never answer (for timeouts). */
  readonly hang?: boolean;
}

export type Responder = (request: RecordedRequest, baseUrl: string) => Reply;

export interface RecordingServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** The parsed JSON body of a recorded request. */
export function jsonBody(request: RecordedRequest | undefined): unknown {
  return request === undefined ? undefined : JSON.parse(request.body.toString('utf8'));
}

export async function startRecordingServer(respond: Responder): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  let baseUrl = '';
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts),
      };
      requests.push(recorded);
      const reply = respond(recorded, baseUrl);
      if (reply.hang === true) return;
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      const contentType = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
      res.writeHead(reply.status ?? 200, { 'content-type': contentType, ...reply.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${portOf(server)}`;
  return {
    url: baseUrl,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  return address.port;
}
