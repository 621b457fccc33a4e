import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../functions/constants';
import type { FunctionName, RouteSpec } from '../functions/routes';
import {
  buildHttpApiEvent,
  encodedBodyLength,
  newApiGatewayRequestId,
  parseRequestTarget,
} from './apigw-event';
import { toHttpResponse, type HttpResponse } from './apigw-response';
import { LocalPlatformError } from './errors';
import { ConcurrencyLimit } from './concurrency-limit';
import { createLambdaContext, newLogStreamName } from './lambda-context';
import { RouteTable } from './route-matcher';

/**
 * A Lambda handler behind an HTTP API with payload format 2.0. It should resolve to an
 * `APIGatewayProxyStructuredResultV2`; the result is typed `unknown` because, as in AWS,
 * it is checked when it arrives (see `toHttpResponse`): other JSON is inferred as a 200
 * and anything invalid becomes a 500.
 */
export type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/** Where the server reports requests (info), odd handler results (warn) and failures (error). */
export interface LocalLogger {
  info(message: string, attributes?: Readonly<Record<string, unknown>>): void;
  warn(message: string, attributes?: Readonly<Record<string, unknown>>): void;
  error(message: string, attributes?: Readonly<Record<string, unknown>>): void;
}

/** How one function is configured in AWS, as far as an invocation can tell. */
export interface LocalFunctionConfig {
  /** @default `infergate-<name>` */
  readonly functionName?: string;
  /** After this long the invocation fails (500) and its late result is dropped. @default 30000 */
  readonly timeoutMs?: number;
  /** @default 1024 */
  readonly memoryLimitInMB?: number;
  /**
   * Invocations running at once; further requests wait (Lambda's concurrency limit).
   * @default 32
   */
  readonly maxConcurrency?: number;
  /**
   * The function's work after its response (Lambda's post-invocation phase: an extension
   * asks for its next event only once that work is done). The server calls it after writing
   * each response, holds the function's concurrency slot until it settles, as Lambda keeps
   * the execution environment busy, and waits for it when closing.
   */
  readonly afterInvocation?: (context: Context) => Promise<unknown>;
}

export interface ApiGatewayServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** The route table; every route's `fn` needs a handler. */
  readonly routes: readonly RouteSpec[];
  readonly handlers: Readonly<Record<FunctionName, Handler>>;
  /** The function behind the `$default` route, which gets every unmatched request. */
  readonly defaultFunction: FunctionName;
  /**
   * Largest request body, counted as the event carries it (base64 for binary bodies,
   * as Lambda's payload limit counts it). Larger bodies get 413 without being buffered.
   * @default MAX_BODY_BYTES
   */
  readonly maxBodyBytes?: number;
  /** Largest response body a handler may return (Lambda's limit). @default MAX_BODY_BYTES */
  readonly maxResponseBytes?: number;
  readonly functions?: Readonly<Partial<Record<FunctionName, LocalFunctionConfig>>>;
  /** @default 'local' */
  readonly apiId?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default process.env.AWS_REGION ?? 'us-east-1' */
  readonly region?: string;
  /** @default errors and warnings to stderr, no access log */
  readonly logger?: LocalLogger;
}

/** A running local API Gateway. */
export interface ApiGatewayServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting connections, closes idle keep-alive connections, lets requests in
   * flight finish (they are answered with `connection: close`) and resolves when every
   * connection is gone and every function's work after its response (`afterInvocation`)
   * is done; connections still open after 10 s are cut.
   */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_CONCURRENCY = 32;
/** How long a refused upload may go on sending (discarded) so that its client reads the 413. */
const LINGER_MS = 1_000;
const CLOSE_GRACE_MS = 10_000;
const INTERNAL_ERROR = { message: 'Internal Server Error' };
const BAD_REQUEST = { message: 'Bad Request' };

const stderrLogger: LocalLogger = {
  info: () => undefined,
  warn: (message, attributes) => console.warn(`[local api gateway] ${message}`, attributes ?? ''),
  error: (message, attributes) => console.error(`[local api gateway] ${message}`, attributes ?? ''),
};

type BodyRead =
  | { readonly kind: 'ok'; readonly body: Buffer | undefined }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'aborted' };

type Invocation =
  | { readonly kind: 'returned'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'timed-out' };

/**
 * Serves the route table the way API Gateway HTTP API (payload format 2.0) serves it in
 * AWS: it picks the route, builds the event and a Lambda context, calls the function's
 * handler in this process and writes back its result. What AWS would refuse it refuses
 * (413 over the payload limit, 500 when a handler throws, times out or returns something
 * invalid, 400 for a path that cannot be decoded) and keeps serving.
 *
 * @example
 * const server = await startApiGatewayServer({
 *   port: 0,
 *   routes: ROUTES,
 *   handlers: { inference, admin },
 *   defaultFunction: 'inference',
 * });
 * await fetch(`${server.url}/v2/health/live`);
 * await server.close();
 */
export async function startApiGatewayServer(options: ApiGatewayServerOptions): Promise<ApiGatewayServer> {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxResponseBytes = options.maxResponseBytes ?? MAX_BODY_BYTES;
  const logger = options.logger ?? stderrLogger;
  const apiId = options.apiId ?? 'local';
  const accountId = options.accountId ?? '000000000000';
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const table = RouteTable.create(
    options.routes.map((route) => ({ method: route.method, path: route.path, target: route.fn })),
    options.defaultFunction,
  );
  // Like Lambda's concurrency limit: a burst queues here rather than in the functions' clients.
  const limits = new Map<FunctionName, ConcurrencyLimit>();
  const limitOf = (fn: FunctionName): ConcurrencyLimit => {
    let limit = limits.get(fn);
    if (limit === undefined) {
      limit = new ConcurrencyLimit(options.functions?.[fn]?.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
      limits.set(fn, limit);
    }
    return limit;
  };
  let closing = false;
  let port = options.port;
  // Post-invocation phases under way: `close()` waits for them.
  const afterInvocations = new Set<Promise<void>>();
  // One execution environment per function: its log stream stays while the server runs.
  const logStreams = new Map<FunctionName, string>();
  const logStreamOf = (fn: FunctionName): string => {
    let name = logStreams.get(fn);
    if (name === undefined) logStreams.set(fn, (name = newLogStreamName()));
    return name;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = Date.now();
    const requestId = newApiGatewayRequestId();
    const method = req.method ?? 'GET';
    res.on('error', (error) => logger.warn('Could not write a response', { requestId, error }));
    res.setHeader('apigw-requestid', requestId);
    if (closing) res.setHeader('connection', 'close');

    const target = parseRequestTarget(req.url ?? '/');
    if (target === undefined) {
      sendJson(res, 400, BAD_REQUEST);
      logger.info(`${method} ${req.url ?? ''} 400 (path cannot be decoded)`, { requestId });
      return;
    }
    const declared = declaredLength(req);
    if (declared !== undefined && declared > maxBodyBytes) {
      refuseTooLarge(req, res, requestId, maxBodyBytes, logger);
      return;
    }
    const read = await readBody(req, maxBodyBytes);
    if (read.kind === 'aborted') {
      logger.info(`${method} ${target.rawPath}: the client went away while sending the body`, { requestId });
      return;
    }
    if (
      read.kind === 'too-large' ||
      encodedBodyLength(read.body?.length ?? 0, headerValue(req, 'content-type')) > maxBodyBytes
    ) {
      refuseTooLarge(req, res, requestId, maxBodyBytes, logger);
      return;
    }

    const route = table.match(method, target.rawPath);
    const fn = route.target;
    const event = buildHttpApiEvent({
      method,
      target,
      rawHeaders: req.rawHeaders,
      httpVersion: req.httpVersion,
      sourceIp: sourceIp(req),
      serverPort: port,
      body: read.body,
      route,
      requestId,
      receivedAt,
      apiId,
      accountId,
    });
    const config = options.functions?.[fn] ?? {};
    const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const context = createLambdaContext({
      functionName: config.functionName ?? `infergate-${fn}`,
      timeoutMs,
      memoryLimitInMB: config.memoryLimitInMB,
      region,
      accountId,
      logStreamName: logStreamOf(fn),
    });
    const release = await limitOf(fn).acquire();
    // `invoke` never throws: a handler's failure is an `Invocation` too.
    const invocation = await invoke(options.handlers[fn], event, context, timeoutMs);
    const respondTo = (invocation: Invocation): void => {
      const attributes = {
        requestId,
        awsRequestId: context.awsRequestId,
        routeKey: route.routeKey,
        function: fn,
      };

      let response: HttpResponse | undefined;
      if (invocation.kind === 'threw') {
        logger.error(`${fn} threw; answering 500`, { ...attributes, error: invocation.error });
      } else if (invocation.kind === 'timed-out') {
        logger.error(
          `${fn}: task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds; answering 500`,
          attributes,
        );
      } else {
        const conversion = toHttpResponse(invocation.value, maxResponseBytes);
        if (conversion.ok) response = conversion.response;
        else
          logger.error(
            `${fn} returned an invalid response (${conversion.reason}); answering 500`,
            attributes,
          );
      }
      if (res.destroyed || res.writableEnded) {
        logger.info(`${method} ${target.rawPath}: the client went away before the response`, attributes);
        return;
      }
      if (response === undefined) sendJson(res, 500, INTERNAL_ERROR);
      else send(res, response);
      logger.info(`${method} ${target.rawPath} ${res.statusCode}`, {
        ...attributes,
        durationMs: Date.now() - receivedAt,
      });
    };
    try {
      respondTo(invocation);
    } finally {
      afterInvocation(fn, context, requestId, release);
    }
  };

  /** Lambda's post-invocation phase: the slot is freed once the function's work after the response is done. */
  const afterInvocation = (
    fn: FunctionName,
    context: Context,
    requestId: string,
    release: () => void,
  ): void => {
    const after = options.functions?.[fn]?.afterInvocation;
    if (after === undefined) {
      release();
      return;
    }
    const phase = (async () => {
      try {
        await after(context);
      } catch (error) {
        logger.error(`${fn}: its work after the response failed`, { requestId, error });
      } finally {
        release();
      }
    })();
    afterInvocations.add(phase);
    void phase.finally(() => afterInvocations.delete(phase));
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((error: unknown) => {
      logger.error('The local API Gateway failed on a request', { error });
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, INTERNAL_ERROR);
    });
  };

  const server = createServer();
  server.on('request', onRequest);
  // `Expect: 100-continue`: refuse an oversized body before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = declaredLength(req);
    if (declared !== undefined && declared > maxBodyBytes) {
      const requestId = newApiGatewayRequestId();
      res.setHeader('apigw-requestid', requestId);
      res.setHeader('connection', 'close');
      sendJson(res, 413, { ...payloadTooLarge(maxBodyBytes), requestId });
      return;
    }
    res.writeContinue();
    onRequest(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void =>
      reject(
        new LocalPlatformError(
          `The local API Gateway cannot listen on ${host}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      );
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('The local API Gateway server failed', { error }));
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new LocalPlatformError('The local API Gateway is not listening on a TCP port');
  port = address.port;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close((error) => {
          clearTimeout(force);
          // Lambda finishes an invocation's post-invocation phase before it shuts down.
          void Promise.all([...afterInvocations]).then(() => (error ? reject(error) : resolve()));
        });
        server.closeIdleConnections();
      })),
  };
}

function checkOptions(options: ApiGatewayServerOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    problems.push(`port must be an integer from 0 to 65535, got ${options.port}`);
  for (const name of ['maxBodyBytes', 'maxResponseBytes'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0))
      problems.push(`${name} must be a positive integer, got ${value}`);
  }
  const functions = new Set<FunctionName>([
    options.defaultFunction,
    ...options.routes.map((route) => route.fn),
  ]);
  for (const fn of functions) {
    if (typeof options.handlers[fn] !== 'function') problems.push(`handlers.${fn} must be a function`);
    const timeoutMs = options.functions?.[fn]?.timeoutMs;
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0))
      problems.push(`functions.${fn}.timeoutMs must be a positive number, got ${timeoutMs}`);
  }
  if (problems.length > 0) throw new RangeError(`startApiGatewayServer: ${problems.join('; ')}`);
}

/**
 * Reads the body up to `limit` bytes. Past the limit it drops what it has and pauses the
 * stream: nothing beyond the limit is buffered, and the caller answers 413.
 */
function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (result: BodyRead): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > limit) {
        chunks.length = 0;
        req.pause();
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const body = length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
      finish({ kind: 'ok', body });
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    const onClose = (): void => {
      if (!req.complete) onAbort();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

async function invoke(
  handler: Handler,
  event: APIGatewayProxyEventV2,
  context: Context,
  timeoutMs: number,
): Promise<Invocation> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Invocation>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timed-out' }), timeoutMs);
  });
  const run = (async (): Promise<Invocation> => {
    try {
      return { kind: 'returned', value: await handler(event, context) };
    } catch (error) {
      return { kind: 'threw', error };
    }
  })();
  try {
    return await Promise.race([run, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Answers 413, then closes the connection the way servers do a lingering close: the
 * answer is written at once (complete, with its content-length) but the response is
 * ended only once the client stops sending, discarding what it still sends (never
 * keeping it) for at most `LINGER_MS` and `limit` more bytes. Closing at once would reset
 * a connection the client is still writing to, and clients such as Node's http then
 * report EPIPE without ever reading the answer.
 */
function refuseTooLarge(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  limit: number,
  logger: LocalLogger,
): void {
  logger.info(`${req.method ?? ''} ${req.url ?? ''} 413 (body over ${limit} bytes)`, { requestId });
  const body = JSON.stringify({ ...payloadTooLarge(limit), requestId });
  res.setHeader('connection', 'close');
  res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  if (req.complete) {
    res.end(body);
    return;
  }
  res.write(body);
  let discarded = 0;
  const done = (): void => {
    clearTimeout(timer);
    req.off('data', discard);
    if (!res.writableEnded) res.end();
  };
  const cut = (): void => {
    done();
    req.socket.destroy();
  };
  const discard = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > limit) cut();
  };
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  req.on('data', discard);
  req.once('end', done);
  req.once('close', done);
  req.resume();
}

function payloadTooLarge(limit: number): { error: string; code: string } {
  return { error: `The request body exceeds the limit of ${limit} bytes`, code: 'payload_too_large' };
}

function sendJson(res: ServerResponse, statusCode: number, body: object): void {
  send(res, { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function send(res: ServerResponse, response: HttpResponse): void {
  const { statusCode, body } = response;
  const bodyless = statusCode === 204 || statusCode === 304 || statusCode < 200;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  if (bodyless) {
    res.writeHead(statusCode);
    res.end();
    return;
  }
  res.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.writeHead(statusCode);
  res.end(body);
}

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isFinite(length) ? length : undefined;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function sourceIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
