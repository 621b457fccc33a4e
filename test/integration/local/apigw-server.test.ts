import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ROUTES, type FunctionName, type RouteSpec } from '../../../functions/routes';
import {
  startApiGatewayServer,
  type ApiGatewayServer,
  type ApiGatewayServerOptions,
  type Handler,
  type LocalLogger,
} from '../../../local/apigw-server';
import { InvalidRouteTableError } from '../../../local/errors';

/** What a test handler saw. */
interface Call {
  readonly fn: FunctionName;
  readonly event: APIGatewayProxyEventV2;
  readonly context: Context;
  readonly remainingMs: number;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly reusedSocket: boolean;
}

interface LogRecord {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes: Readonly<Record<string, unknown>> | undefined;
}

const MB = 1024 * 1024;

/** A handler that records the invocation and echoes the event back as JSON. */
function echo(fn: FunctionName, calls: Call[]): Handler {
  return async (event, context) => {
    calls.push({ fn, event, context, remainingMs: context.getRemainingTimeInMillis() });
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fn, event }),
    };
  };
}

function recordingLogger(records: LogRecord[]): LocalLogger {
  return {
    info: (message, attributes) => records.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => records.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => records.push({ level: 'error', message, attributes }),
  };
}

/** A raw HTTP/1.1 request: exact headers (repeated ones as arrays), no client-added extras. */
function send(
  server: ApiGatewayServer,
  options: {
    method?: string;
    path: string;
    headers?: OutgoingHttpHeaders;
    body?: Buffer | string;
    agent?: Agent;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            reusedSocket: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function json(response: RawResponse): unknown {
  return JSON.parse(response.body.toString('utf8'));
}

/** The echoed event of a response from `echo`. */
function echoedEvent(response: RawResponse): unknown {
  const parsed = json(response);
  if (typeof parsed !== 'object' || parsed === null || !('event' in parsed)) throw new Error('not an echo');
  return parsed.event;
}

/** `requestContext.time` in API Gateway's format, computed independently of the server. */
function apiGatewayTime(epochMs: number): string {
  const d = new Date(epochMs);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

describe('local API Gateway (HTTP API, payload 2.0)', () => {
  let server: ApiGatewayServer;
  const calls: Call[] = [];
  const logs: LogRecord[] = [];

  beforeAll(async () => {
    server = await startApiGatewayServer({
      port: 0,
      routes: ROUTES,
      handlers: { inference: echo('inference', calls), admin: echo('admin', calls) },
      defaultFunction: 'inference',
      logger: recordingLogger(logs),
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    calls.length = 0;
    logs.length = 0;
  });

  it('builds the exact event for path parameters, repeated query keys, cookies and repeated headers', async () => {
    const response = await send(server, {
      path: '/v2/models/my%20mod%C3%A8l/versions/2?tag=a&tag=b+c&empty=&plus=a%2Bb',
      headers: {
        'User-Agent': 'probe/1.0',
        Cookie: 'session=abc123; theme=dark',
        'X-Probe': ['first', 'second'],
      },
    });

    expect(response.status).toBe(200);
    const event = echoedEvent(response);
    const routeKey = 'GET /v2/models/{name}/versions/{version}';
    expect(event).toStrictEqual({
      version: '2.0',
      routeKey,
      rawPath: '/v2/models/my modèl/versions/2',
      rawQueryString: 'tag=a&tag=b+c&empty=&plus=a%2Bb',
      cookies: ['session=abc123', 'theme=dark'],
      headers: {
        host: `127.0.0.1:${server.port}`,
        'user-agent': 'probe/1.0',
        'x-probe': 'first,second',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-port': String(server.port),
        'x-forwarded-proto': 'http',
        'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
      },
      queryStringParameters: { tag: 'a,b c', empty: '', plus: 'a+b' },
      pathParameters: { name: 'my modèl', version: '2' },
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: {
          method: 'GET',
          path: '/v2/models/my modèl/versions/2',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'probe/1.0',
        },
        requestId: response.headers['apigw-requestid'],
        routeKey,
        stage: '$default',
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        timeEpoch: expect.any(Number),
      },
      isBase64Encoded: false,
    });
    const [call] = calls;
    expect(call?.fn).toBe('inference');
    expect(call?.event.requestContext.time).toBe(apiGatewayTime(call?.event.requestContext.timeEpoch ?? 0));
    expect(response.headers['apigw-requestid']).toMatch(/^[A-Za-z0-9+/]{15}=$/);
  });

  it('gives every request its own request id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const response = await send(server, { path: '/v2/health/live' });
      ids.add(String(response.headers['apigw-requestid']));
    }

    expect(ids.size).toBe(20);
    expect(new Set(calls.map((call) => call.context.awsRequestId)).size).toBe(20);
  });

  it('passes a JSON body as utf-8 text', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'x', data: ['é', '世界'] }] });

    const response = await send(server, {
      method: 'POST',
      path: '/v2/models/resnet/infer',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      },
      body,
    });

    expect(response.status).toBe(200);
    expect(echoedEvent(response)).toMatchObject({
      routeKey: 'POST /v2/models/{name}/infer',
      pathParameters: { name: 'resnet' },
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
      isBase64Encoded: false,
    });
  });

  it.each([
    ['application/octet-stream', 'application/octet-stream'],
    ['no content type', undefined],
    ['a form (as AWS does)', 'application/x-www-form-urlencoded'],
  ])('passes a %s body as base64', async (_label, contentType) => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const headers: OutgoingHttpHeaders = { 'content-length': bytes.length };
    if (contentType !== undefined) headers['content-type'] = contentType;

    const response = await send(server, { method: 'POST', path: '/admin/uploads', headers, body: bytes });

    expect(response.status).toBe(200);
    const [call] = calls;
    expect(call?.fn).toBe('admin');
    expect(call?.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(call?.event.body ?? '', 'base64')).toEqual(bytes);
  });

  it('leaves body and query fields out of an event without them', async () => {
    await send(server, { path: '/v2/health/ready' });

    const event = calls[0]?.event;
    expect(event).toBeDefined();
    expect(Object.keys(event ?? {}).sort()).toEqual(
      [
        'version',
        'routeKey',
        'rawPath',
        'rawQueryString',
        'headers',
        'requestContext',
        'isBase64Encoded',
      ].sort(),
    );
    expect(event?.rawQueryString).toBe('');
  });

  it('sends HEAD and OPTIONS, which have no routes, to the default function', async () => {
    const head = await send(server, { method: 'HEAD', path: '/v2/health/live' });
    const options = await send(server, { method: 'OPTIONS', path: '/admin/models/resnet' });

    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect(options.status).toBe(200);
    expect(
      calls.map((call) => [call.fn, call.event.routeKey, call.event.requestContext.http.method]),
    ).toEqual([
      ['inference', '$default', 'HEAD'],
      ['inference', '$default', 'OPTIONS'],
    ]);
    expect(calls[1]?.event.pathParameters).toBeUndefined();
  });

  it('sends unmatched paths and methods to the default function with routeKey $default', async () => {
    const unknownPath = await send(server, { path: '/nothing/here?x=1' });
    const wrongMethod = await send(server, { method: 'DELETE', path: '/admin/tenants' });

    expect(echoedEvent(unknownPath)).toMatchObject({
      routeKey: '$default',
      rawPath: '/nothing/here',
      queryStringParameters: { x: '1' },
      requestContext: { routeKey: '$default', stage: '$default' },
    });
    expect(calls.map((call) => [call.fn, call.event.routeKey])).toEqual([
      ['inference', '$default'],
      ['inference', '$default'],
    ]);
    expect(wrongMethod.status).toBe(200);
  });

  it('routes control-plane paths to the admin function', async () => {
    await send(server, { method: 'PUT', path: '/admin/models/resnet/aliases/prod' });

    expect(calls[0]?.fn).toBe('admin');
    expect(calls[0]?.event.routeKey).toBe('PUT /admin/models/{name}/aliases/{alias}');
    expect(calls[0]?.event.pathParameters).toEqual({ name: 'resnet', alias: 'prod' });
  });

  it('gives the handler a Lambda context counting down from the function timeout', async () => {
    await send(server, { path: '/openapi.json' });

    const call = calls[0];
    expect(call?.fn).toBe('admin');
    expect(call?.context).toMatchObject({
      functionName: 'infergate-admin',
      functionVersion: '$LATEST',
      invokedFunctionArn: expect.stringMatching(
        /^arn:aws:lambda:[a-z0-9-]+:000000000000:function:infergate-admin$/,
      ),
      memoryLimitInMB: '1024',
      awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      logGroupName: '/aws/lambda/infergate-admin',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(call?.remainingMs).toBeGreaterThan(29_000);
    expect(call?.remainingMs).toBeLessThanOrEqual(30_000);
  });

  it('keeps connections alive between requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(server, { path: '/v2', agent });
      const second = await send(server, { path: '/v2', agent });

      expect(first.reusedSocket).toBe(false);
      expect(second.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});

describe('local API Gateway route selection', () => {
  let server: ApiGatewayServer;
  const calls: Call[] = [];
  const routes: RouteSpec[] = [
    { method: 'GET', path: '/things/{id}', fn: 'inference' },
    { method: 'GET', path: '/things/special', fn: 'admin' },
    { method: 'GET', path: '/files/{name}/meta', fn: 'inference' },
    { method: 'GET', path: '/files/{proxy+}', fn: 'admin' },
    { method: 'GET', path: '/{a}/{b}/{c}', fn: 'admin' },
  ];

  beforeAll(async () => {
    server = await startApiGatewayServer({
      port: 0,
      routes,
      handlers: { inference: echo('inference', calls), admin: echo('admin', calls) },
      defaultFunction: 'inference',
      logger: recordingLogger([]),
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    calls.length = 0;
  });

  it.each([
    ['/things/special', 'GET /things/special', undefined],
    ['/things/other', 'GET /things/{id}', { id: 'other' }],
    ['/files/a/meta', 'GET /files/{name}/meta', { name: 'a' }],
    ['/files/a/b/c', 'GET /files/{proxy+}', { proxy: 'a/b/c' }],
    ['/files/a', 'GET /files/{proxy+}', { proxy: 'a' }],
    ['/x/y/z', 'GET /{a}/{b}/{c}', { a: 'x', b: 'y', c: 'z' }],
    // AWS decodes the path before routing: an encoded slash separates segments.
    ['/things/a%2Fb', 'GET /{a}/{b}/{c}', { a: 'things', b: 'a', c: 'b' }],
    // ...and decodes it twice: %2525 arrives as "%".
    ['/things/50%2525', 'GET /things/{id}', { id: '50%' }],
    ['/things', '$default', undefined],
    ['/things/', '$default', undefined],
  ])('GET %s matches %s', async (path, routeKey, pathParameters) => {
    const response = await send(server, { path });

    expect(response.status).toBe(200);
    expect(calls[0]?.event.routeKey).toBe(routeKey);
    expect(calls[0]?.event.pathParameters).toEqual(pathParameters);
  });

  it('answers 400 for a path that cannot be decoded, as AWS does, without calling a function', async () => {
    const response = await send(server, { path: '/things/50%25done' });

    expect(response.status).toBe(400);
    expect(json(response)).toEqual({ message: 'Bad Request' });
    expect(calls).toHaveLength(0);
  });

  it('refuses a route table API Gateway would refuse, naming every problem', async () => {
    const bad: RouteSpec[] = [
      { method: 'GET', path: '/a/{x}', fn: 'inference' },
      { method: 'GET', path: '/a/{y}', fn: 'admin' },
      { method: 'GET', path: '/b/{proxy+}/c', fn: 'admin' },
      { method: 'GET', path: 'no-slash', fn: 'admin' },
    ];

    const start = startApiGatewayServer({
      port: 0,
      routes: bad,
      handlers: { inference: echo('inference', calls), admin: echo('admin', calls) },
      defaultFunction: 'inference',
    });

    await expect(start).rejects.toThrow(InvalidRouteTableError);
    await expect(start).rejects.toThrow(/GET \/a\/\{y\}: conflicts with GET \/a\/\{x\}/);
    await expect(start).rejects.toThrow(/greedy variable \{proxy\+\} must be the last segment/);
    await expect(start).rejects.toThrow(/no-slash: path must start with "\/"/);
  });
});

describe('local API Gateway responses and failures', () => {
  let server: ApiGatewayServer;
  const logs: LogRecord[] = [];
  let invocations = 0;
  let behaviour: Handler = async () => ({ statusCode: 204 });

  const start = (overrides: Partial<ApiGatewayServerOptions> = {}): Promise<ApiGatewayServer> =>
    startApiGatewayServer({
      port: 0,
      routes: [
        { method: 'POST', path: '/upload', fn: 'admin' },
        { method: 'GET', path: '/slow', fn: 'inference' },
      ],
      handlers: {
        inference: (event, context) => {
          invocations++;
          return behaviour(event, context);
        },
        admin: (event, context) => {
          invocations++;
          return behaviour(event, context);
        },
      },
      defaultFunction: 'inference',
      logger: recordingLogger(logs),
      ...overrides,
    });

  beforeAll(async () => {
    server = await start({ functions: { inference: { timeoutMs: 200 } } });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    logs.length = 0;
    invocations = 0;
    behaviour = async () => ({ statusCode: 204 });
  });

  it('writes status, headers, cookies and a base64 body back as API Gateway does', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    behaviour = async () => ({
      statusCode: 201,
      headers: { 'Content-Type': 'application/octet-stream', 'X-Count': 3, 'X-Flag': true },
      cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });

    const response = await send(server, { path: '/anything' });

    expect(response.status).toBe(201);
    expect(response.body).toEqual(bytes);
    expect(response.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-length': '5',
      'x-count': '3',
      'x-flag': 'true',
      'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'],
      'apigw-requestid': expect.stringMatching(/^[A-Za-z0-9+/]{15}=$/),
    });
  });

  it('infers a 200 JSON response from a result without a statusCode', async () => {
    behaviour = async () => ({ hello: 'world' });

    const response = await send(server, { path: '/anything' });

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(json(response)).toEqual({ hello: 'world' });
  });

  it('answers 413 with the platform error for a 7 MB body, without calling the function', async () => {
    const body = Buffer.alloc(7 * MB, 1);

    const response = await fetch(`${server.url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: expect.stringContaining(`${6 * MB} bytes`),
      code: 'payload_too_large',
      requestId: response.headers.get('apigw-requestid'),
    });
    expect(invocations).toBe(0);
  });

  it.each([
    ['a streamed (chunked) 7 MB', 7 * MB, false],
    ['a declared (content-length) 7 MB', 7 * MB, true],
    ['a streamed 40 MB', 40 * MB, false],
  ])('answers 413 to %s upload; the client reads it and goes on', async (_label, size, declared) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    /** Writes in 64 KiB chunks as fast as the socket takes them, as an uploading client does. */
    const upload = () =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: server.port,
            method: 'POST',
            path: '/upload',
            agent,
            headers: declared ? { 'content-length': size } : {},
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        const chunk = Buffer.alloc(64 * 1024, 2);
        let sent = 0;
        const write = (): void => {
          while (sent < size) {
            sent += chunk.length;
            if (!req.write(chunk)) {
              req.once('drain', write);
              return;
            }
          }
          req.end();
        };
        write();
      });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push(await upload());
      const next = await send(server, { path: '/after', agent });

      expect(statuses).toEqual([413, 413, 413, 413, 413]);
      expect(next.status).toBe(204);
      expect(invocations).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('refuses an oversized body before it is sent when the client expects 100-continue', async () => {
    const outcome = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest({
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: '/upload',
        headers: { expect: '100-continue', 'content-length': 7 * MB },
        agent: false,
      });
      req.on('continue', () => {
        continued = true;
        req.end(Buffer.alloc(7 * MB));
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
        req.destroy();
      });
      req.on('error', reject);
    });

    expect(outcome).toEqual({ status: 413, continued: false });
    expect(invocations).toBe(0);
  });

  it('counts a binary body as Lambda does, base64-encoded: 5 MB of bytes is too large', async () => {
    const response = await send(server, {
      method: 'POST',
      path: '/upload',
      headers: { 'content-type': 'application/octet-stream', 'content-length': 5 * MB },
      body: Buffer.alloc(5 * MB),
    });

    expect(response.status).toBe(413);
    expect(invocations).toBe(0);
  });

  it('answers 500 when the handler throws, logs it with the request id, and serves the next request', async () => {
    behaviour = async () => {
      throw new Error('boom');
    };

    const failed = await send(server, { path: '/anything' });
    behaviour = async () => ({ statusCode: 200, body: 'ok' });
    const next = await send(server, { path: '/anything' });

    expect(failed.status).toBe(500);
    expect(json(failed)).toEqual({ message: 'Internal Server Error' });
    expect(next.status).toBe(200);
    expect(next.body.toString()).toBe('ok');
    const error = logs.find((record) => record.level === 'error');
    expect(error?.attributes).toMatchObject({
      requestId: failed.headers['apigw-requestid'],
      error: expect.objectContaining({ message: 'boom' }),
    });
  });

  it.each([
    ['undefined', undefined],
    ['a bad statusCode', { statusCode: 'teapot' }],
    ['an object body', { statusCode: 200, body: { not: 'a string' } }],
    ['a header with a newline', { statusCode: 200, headers: { 'x-bad': 'a\r\nb' } }],
  ])('answers 500 when the handler returns %s', async (_label, result) => {
    behaviour = async () => result;

    const response = await send(server, { path: '/anything' });

    expect(response.status).toBe(500);
    expect(json(response)).toEqual({ message: 'Internal Server Error' });
    expect(logs.some((record) => record.level === 'error' && /invalid response/.test(record.message))).toBe(
      true,
    );
  });

  it('answers 500 when the function times out, and drops its late result', async () => {
    behaviour = (_event, context) =>
      new Promise((resolve) =>
        setTimeout(() => resolve({ statusCode: 200, body: String(context.getRemainingTimeInMillis()) }), 400),
      );

    const response = await send(server, { path: '/slow' });

    expect(response.status).toBe(500);
    expect(logs.some((record) => /timed out after 0\.20 seconds/.test(record.message))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  it('survives a client that goes away while its function runs', async () => {
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let answered: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      answered = resolve;
    });
    behaviour = async () => {
      started();
      await released;
      setImmediate(answered);
      return { statusCode: 200, body: 'late' };
    };

    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: '/anything', agent: false });
    req.on('error', () => undefined);
    req.end();
    await running;
    req.destroy();
    // Give the server the time to see the connection close.
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await finished;
    behaviour = async () => ({ statusCode: 200, body: 'still here' });
    const next = await send(server, { path: '/anything' });

    expect(next.body.toString()).toBe('still here');
    expect(logs.some((record) => /client went away before the response/.test(record.message))).toBe(true);
  });

  it('closes with an idle keep-alive connection open', async () => {
    const own = await start();
    const agent = new Agent({ keepAlive: true });
    await send(own, { path: '/anything', agent });

    await expect(own.close()).resolves.toBeUndefined();
    agent.destroy();
  });
});
