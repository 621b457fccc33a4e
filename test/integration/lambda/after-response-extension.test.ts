import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import {
  startAfterResponseExtension,
  type ExtensionLogger,
} from '../../../functions/adapters/lambda/after-response-extension';
import { AfterResponse } from '../../../functions/core/after-response';

/** One call the fake Extensions API received, in arrival order. */
interface ApiCall {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * A stand-in for Lambda's Extensions API (`AWS_LAMBDA_RUNTIME_API`): `register` answers
 * `registerStatus` with an identifier, `event/next` holds until the test sends an event
 * (`invoke`), or answers `nextStatus` when set; `exit/error` answers 202.
 */
async function startExtensionsApi(options: { registerStatus?: number } = {}) {
  const calls: ApiCall[] = [];
  const waiting: ServerResponse[] = [];
  const identifier = randomUUID();
  let nextStatus: number | undefined;
  const arrivals: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const call = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      for (const arrived of arrivals.splice(0)) arrived();
      if (call.path === '/2020-01-01/extension/register') {
        const status = options.registerStatus ?? 200;
        res.writeHead(status, status === 200 ? { 'lambda-extension-identifier': identifier } : {});
        res.end(JSON.stringify({ functionName: 'f', functionVersion: '$LATEST', handler: 'index.handler' }));
      } else if (call.path === '/2020-01-01/extension/event/next') {
        if (nextStatus !== undefined) res.writeHead(nextStatus).end('{"errorType":"Container error"}');
        else waiting.push(res);
      } else if (call.path === '/2020-01-01/extension/exit/error') {
        res.writeHead(202).end();
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const nexts = () => calls.filter((call) => call.path.endsWith('/event/next'));
  return {
    runtimeApi: `127.0.0.1:${port}`,
    identifier,
    calls,
    nexts,
    /** Resolves once `count` next calls have arrived. */
    async untilNexts(count: number): Promise<void> {
      while (nexts().length < count) await new Promise<void>((resolve) => arrivals.push(resolve));
    },
    /** Answers the held `next` with an INVOKE event. */
    invoke(requestId: string, deadlineMs = Date.now() + 10_000): void {
      const res = waiting.shift();
      if (res === undefined) throw new Error('no next call is waiting');
      res.writeHead(200, {
        'content-type': 'application/json',
        'lambda-extension-event-identifier': randomUUID(),
      });
      res.end(
        JSON.stringify({
          eventType: 'INVOKE',
          deadlineMs,
          requestId,
          invokedFunctionArn: 'arn',
          tracing: {},
        }),
      );
    },
    failNexts(status: number): void {
      nextStatus = status;
      for (const res of waiting.splice(0)) res.writeHead(status).end('{"errorType":"Container error"}');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function recordingLogger() {
  const lines: { level: string; message: string; attributes?: Record<string, unknown> }[] = [];
  const logger: ExtensionLogger = {
    info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => lines.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => lines.push({ level: 'error', message, attributes }),
  };
  return { lines, logger };
}

function context(awsRequestId: string): Context {
  return {
    awsRequestId,
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'f',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    memoryLimitInMB: '1024',
    logGroupName: '/aws/lambda/f',
    logStreamName: 's',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the after-response Lambda extension', () => {
  it('registers for INVOKE only, with its name, and turns deferral on', async () => {
    const api = await startExtensionsApi();
    try {
      const afterResponse = new AfterResponse();
      const { logger } = recordingLogger();
      const extension = await startAfterResponseExtension({
        afterResponse,
        runtimeApi: api.runtimeApi,
        logger,
        handleSigterm: false,
      });
      await api.untilNexts(1);

      expect(extension.registered).toBe(true);
      expect(afterResponse.enabled).toBe(true);
      const [register, next] = api.calls;
      expect(register?.method).toBe('POST');
      expect(register?.headers['lambda-extension-name']).toBe('infergate-after-response');
      expect(JSON.parse(register?.body ?? '')).toEqual({ events: ['INVOKE'] });
      expect(next?.method).toBe('GET');
      expect(next?.headers['lambda-extension-identifier']).toBe(api.identifier);
    } finally {
      await api.close();
    }
  });

  it('answers before the deferred write is done, and asks for the next event only once the handler returned and the write finished', async () => {
    const api = await startExtensionsApi();
    try {
      const afterResponse = new AfterResponse();
      const extension = await startAfterResponseExtension({
        afterResponse,
        runtimeApi: api.runtimeApi,
        logger: recordingLogger().logger,
        handleSigterm: false,
      });
      await api.untilNexts(1);
      const order: string[] = [];
      let finishWrite: () => void = () => undefined;
      const handler = extension.wrap(async (event: { n: number }) => {
        afterResponse.defer(
          new Promise<void>((resolve) => {
            finishWrite = () => {
              order.push('write done');
              resolve();
            };
          }),
        );
        return { statusCode: 200, body: String(event.n) };
      });

      // Lambda sends INVOKE to the extension and the runtime at once; the handler may start later.
      api.invoke('request-1');
      await pause(50);
      const beforeHandler = api.nexts().length;
      const response = await handler({ n: 7 }, context('request-1'));
      order.push('response');
      await pause(100);
      const whileWriting = api.nexts().length;
      finishWrite();
      await api.untilNexts(2);
      order.push('next');

      expect(beforeHandler).toBe(1);
      expect(response).toEqual({ statusCode: 200, body: '7' });
      expect(whileWriting).toBe(1);
      expect(order).toEqual(['response', 'write done', 'next']);
      expect(afterResponse.pending).toBe(0);
    } finally {
      await api.close();
    }
  });

  it('ends the invocation at its deadline when deferred work outlives it, and says so', async () => {
    const api = await startExtensionsApi();
    try {
      const afterResponse = new AfterResponse();
      const { lines, logger } = recordingLogger();
      const extension = await startAfterResponseExtension({
        afterResponse,
        runtimeApi: api.runtimeApi,
        logger,
        marginMs: 50,
        handleSigterm: false,
      });
      await api.untilNexts(1);
      const handler = extension.wrap(async () => {
        afterResponse.defer(new Promise<void>(() => undefined));
        return 'ok';
      });

      api.invoke('request-2', Date.now() + 300);
      await handler({}, context('request-2'));
      await api.untilNexts(2);

      expect(lines).toContainEqual({
        level: 'warn',
        message: 'Work after the response outlived the invocation; it goes on in the next one',
        attributes: { requestId: 'request-2', handlerEnded: true, pending: 1 },
      });
    } finally {
      await api.close();
    }
  });

  it('falls back to metering before the response when the registration is refused, and says why', async () => {
    const api = await startExtensionsApi({ registerStatus: 403 });
    try {
      const afterResponse = new AfterResponse();
      const { lines, logger } = recordingLogger();
      const handler = async () => 'ok';
      const extension = await startAfterResponseExtension({
        afterResponse,
        runtimeApi: api.runtimeApi,
        logger,
        handleSigterm: false,
      });

      expect(extension.registered).toBe(false);
      expect(afterResponse.enabled).toBe(false);
      expect(extension.wrap(handler)).toBe(handler);
      expect(api.nexts()).toHaveLength(0);
      expect(lines).toEqual([
        {
          level: 'warn',
          message: 'Usage is metered before each response: the after-response extension could not register',
          attributes: { reason: expect.stringMatching(/^the Extensions API answered 403/) },
        },
      ]);
    } finally {
      await api.close();
    }
  });

  it('does not register off Lambda (no Runtime API) or when the configuration turns it off', async () => {
    const { lines, logger } = recordingLogger();
    const afterResponse = new AfterResponse();
    const offLambda = await startAfterResponseExtension({ afterResponse, runtimeApi: '', logger });
    const off = await startAfterResponseExtension({
      afterResponse: undefined,
      runtimeApi: '127.0.0.1:9',
      logger,
    });

    expect(offLambda.registered).toBe(false);
    expect(off.registered).toBe(false);
    expect(afterResponse.enabled).toBe(false);
    expect(lines.map((line) => line.message)).toEqual([
      'Usage is metered before each response: no Lambda Runtime API (AWS_LAMBDA_RUNTIME_API)',
    ]);
  });

  it('turns deferral off and reports an exit error when the event loop fails', async () => {
    const api = await startExtensionsApi();
    try {
      const afterResponse = new AfterResponse();
      const { lines, logger } = recordingLogger();
      await startAfterResponseExtension({
        afterResponse,
        runtimeApi: api.runtimeApi,
        logger,
        handleSigterm: false,
      });
      await api.untilNexts(1);

      api.failNexts(500);
      while (!api.calls.some((call) => call.path.endsWith('/exit/error'))) await pause(10);

      expect(afterResponse.enabled).toBe(false);
      const exit = api.calls.find((call) => call.path.endsWith('/exit/error'));
      expect(exit?.headers['lambda-extension-identifier']).toBe(api.identifier);
      expect(exit?.headers['lambda-extension-function-error-type']).toBe('Extension.LoopFailed');
      expect(
        lines.some(
          (line) =>
            line.level === 'error' && /event\/next answered 500/.test(String(line.attributes?.reason)),
        ),
      ).toBe(true);
    } finally {
      await api.close();
    }
  });
});
