import { connect } from 'node:net';

/** One header as sent on the wire; a name may repeat. */
export type RawHeader = readonly [name: string, value: string];

export interface RawRequest {
  readonly method: string;
  /** Sent verbatim: no normalization of `..`, `%2e`, `\` or anything else, unlike `fetch`. */
  readonly path: string;
  readonly headers?: readonly RawHeader[];
  /** Sent as is, with a `content-length` unless `headers` has one. */
  readonly body?: string | Uint8Array;
}

export interface RawResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/**
 * A minimal HTTP/1.1 client over a TCP socket, for requests `fetch` cannot send: paths
 * with dot segments or malformed escapes, methods such as `TRACE`, repeated or non-ASCII
 * headers. One request per connection (`connection: close`); the answer is read until the
 * server closes. Header values are written as latin1, so `é` goes out as one byte.
 *
 * @example
 * const response = await sendRaw('http://127.0.0.1:8080', { method: 'GET', path: '/v2/../admin' });
 */
export function sendRaw(baseUrl: string, request: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? Buffer.from(request.body, 'utf8')
        : Buffer.from(request.body);
  const headers: RawHeader[] = [['host', url.host], ['connection', 'close'], ...(request.headers ?? [])];
  if (body !== undefined && !headers.some(([name]) => name.toLowerCase() === 'content-length')) {
    headers.push(['content-length', String(body.length)]);
  }
  const head = Buffer.from(
    `${request.method} ${request.path} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`,
    'latin1',
  );

  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no complete answer to ${request.method} ${request.path.slice(0, 80)} in ${timeoutMs} ms`),
      );
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may answer (413) and close while the body is still going out: keep what came back.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const parsed = parseResponse(Buffer.concat(chunks));
      if (parsed === undefined) {
        reject(new Error(`no HTTP answer to ${request.method} ${request.path.slice(0, 80)}`));
      } else {
        resolve(parsed);
      }
    });
    socket.write(head);
    if (body !== undefined) socket.write(body);
  });
}

function parseResponse(raw: Buffer): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let content = raw.subarray(end + 4);
  const length = Number(headers['content-length']);
  if (Number.isInteger(length)) content = content.subarray(0, length);
  const text = content.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers, text, json };
}
