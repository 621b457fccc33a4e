import { request, type IncomingHttpHeaders } from 'node:http';
import type { Context } from 'aws-lambda';
import type { AfterResponse } from '../../core/after-response';

/** Where the extension reports: registration, drains cut short, failures. */
export interface ExtensionLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface AfterResponseExtensionOptions {
  /** The work to drain after each invocation's response; none: nothing to register. */
  readonly afterResponse: AfterResponse | undefined;
  /** `host:port` of the Runtime API. @default process.env.AWS_LAMBDA_RUNTIME_API */
  readonly runtimeApi?: string;
  /** The extension's name (`Lambda-Extension-Name`). @default 'infergate-after-response' */
  readonly name?: string;
  /**
   * Time kept back from the invocation's deadline: a drain that has not finished by then is
   * left to the next invocation (or to the shutdown drain), and the invocation ends in time.
   * @default 250
   */
  readonly marginMs?: number;
  /** Bound of the drain on SIGTERM (Lambda gives the runtime 500 ms). @default 400 */
  readonly shutdownDrainMs?: number;
  /** @default JSON lines on stdout/stderr, as Lambda's log stream takes them */
  readonly logger?: ExtensionLogger;
  /** Handles SIGTERM: drains, then exits. Tests turn it off. @default true */
  readonly handleSigterm?: boolean;
}

/** A handler of any event: the extension needs only its context's request id. */
type AnyHandler<E, R> = (event: E, context: Context) => Promise<R>;

/** The internal extension once started (or not: see `registered`). */
export interface AfterResponseExtension {
  /** True when Lambda took the registration: work is deferred past each response. */
  readonly registered: boolean;
  /**
   * The handler, telling the extension when each invocation's handler has returned: the
   * extension drains only after that, since the work of a request is deferred while it runs.
   * When nothing registered, the handler itself.
   */
  wrap<E, R>(handler: AnyHandler<E, R>): AnyHandler<E, R>;
}

/** An event as `GET /extension/event/next` returns it. */
interface LifecycleEvent {
  readonly eventType: string;
  readonly requestId?: string;
  readonly deadlineMs?: number;
}

const API_VERSION = '2020-01-01';
const REGISTER_TIMEOUT_MS = 2_000;
/** Request ids of handlers that returned, kept until their INVOKE event is seen. */
const MAX_ENDED = 64;

const consoleLogger: ExtensionLogger = {
  info: (message, attributes) => console.log(JSON.stringify({ level: 'INFO', message, ...attributes })),
  warn: (message, attributes) => console.warn(JSON.stringify({ level: 'WARN', message, ...attributes })),
  error: (message, attributes) => console.error(JSON.stringify({ level: 'ERROR', message, ...attributes })),
};

/**
 * Registers an in-process (internal) Lambda extension that keeps each invocation open until
 * the work deferred past its response is done, and turns deferral on (`afterResponse.enable()`).
 * Lambda sends the response to the caller as soon as the runtime posts it, and ends the
 * invocation (after which it may freeze the instance) only once every extension has asked
 * for its next event; this extension asks only after the invocation's handler has returned
 * and `afterResponse` has drained, bounded by the invocation's deadline.
 *
 * Internal extensions must register during the init phase, before the runtime asks for its
 * first invocation: call this from the Lambda entry's top level (`await`). It may register
 * for `INVOKE` only (`SHUTDOWN` is refused to internal extensions); with an extension
 * registered, Lambda sends SIGTERM to the runtime before shutting the instance down, and
 * the extension drains once more then (up to `shutdownDrainMs`).
 *
 * Not on Lambda (no `AWS_LAMBDA_RUNTIME_API`), or when the registration fails, nothing is
 * deferred: `afterResponse` stays off, the reason is logged, and the function meters before
 * it answers, as without the extension. If the event loop fails later, the extension reports
 * it (`/extension/exit/error`) and deferral is turned off again.
 *
 * @example
 * // functions/inference/lambda.ts
 * const extension = await startAfterResponseExtension({ afterResponse });
 * export const handler = extension.wrap(inferenceHandler);
 */
export async function startAfterResponseExtension(
  options: AfterResponseExtensionOptions,
): Promise<AfterResponseExtension> {
  const { afterResponse } = options;
  const logger = options.logger ?? consoleLogger;
  const unregistered: AfterResponseExtension = { registered: false, wrap: (handler) => handler };
  if (afterResponse === undefined) return unregistered;
  const runtimeApi = options.runtimeApi ?? process.env.AWS_LAMBDA_RUNTIME_API;
  if (runtimeApi === undefined || runtimeApi === '') {
    logger.info('Usage is metered before each response: no Lambda Runtime API (AWS_LAMBDA_RUNTIME_API)');
    return unregistered;
  }
  const name = options.name ?? 'infergate-after-response';
  const marginMs = options.marginMs ?? 250;
  const base = `http://${runtimeApi}/${API_VERSION}/extension`;

  let identifier: string;
  try {
    const registered = await call('POST', `${base}/register`, {
      headers: { 'Lambda-Extension-Name': name, 'content-type': 'application/json' },
      body: JSON.stringify({ events: ['INVOKE'] }),
      timeoutMs: REGISTER_TIMEOUT_MS,
    });
    const id = registered.headers['lambda-extension-identifier'];
    if (registered.status !== 200 || typeof id !== 'string' || id === '') {
      throw new Error(
        `the Extensions API answered ${registered.status}${typeof id === 'string' ? '' : ' without an identifier'}: ${registered.body.slice(0, 200)}`,
      );
    }
    identifier = id;
  } catch (error) {
    logger.warn('Usage is metered before each response: the after-response extension could not register', {
      reason: error instanceof Error ? error.message : String(error),
    });
    return unregistered;
  }

  const ends = new InvocationEnds();
  afterResponse.enable();
  logger.info('Usage is metered after each response: extension registered', { extension: name });

  const loop = async (): Promise<void> => {
    for (;;) {
      const next = await call('GET', `${base}/event/next`, {
        headers: { 'Lambda-Extension-Identifier': identifier },
      });
      if (next.status !== 200)
        throw new Error(`event/next answered ${next.status}: ${next.body.slice(0, 200)}`);
      const event = parseEvent(next.body);
      if (event.eventType !== 'INVOKE') continue;
      const deadline = deadlineOf(event);
      const handlerEnded =
        event.requestId === undefined ||
        (await ends.whenEnded(event.requestId, Math.max(0, deadline - marginMs - Date.now())));
      const drain = await afterResponse.drain(Math.max(0, deadline - marginMs - Date.now()));
      if (!handlerEnded || !drain.drained) {
        logger.warn('Work after the response outlived the invocation; it goes on in the next one', {
          requestId: event.requestId,
          handlerEnded,
          pending: drain.pending,
        });
      }
    }
  };
  loop().catch(async (error: unknown) => {
    afterResponse.disable();
    logger.error('The after-response extension stopped; usage is metered before each response again', {
      reason: error instanceof Error ? error.message : String(error),
    });
    await call('POST', `${base}/exit/error`, {
      headers: {
        'Lambda-Extension-Identifier': identifier,
        'Lambda-Extension-Function-Error-Type': 'Extension.LoopFailed',
      },
      body: JSON.stringify({
        errorMessage: error instanceof Error ? error.message : String(error),
        errorType: 'Extension.LoopFailed',
      }),
      timeoutMs: REGISTER_TIMEOUT_MS,
    }).catch(() => undefined);
  });

  if (options.handleSigterm ?? true) {
    process.once('SIGTERM', () => {
      void afterResponse.drain(options.shutdownDrainMs ?? 400).then((result) => {
        if (!result.drained)
          logger.error('Shutting down with work after the response unfinished', { ...result });
        process.exit(0);
      });
    });
  }

  return {
    registered: true,
    wrap:
      <E, R>(handler: AnyHandler<E, R>): AnyHandler<E, R> =>
      async (event, context) => {
        try {
          return await handler(event, context);
        } finally {
          ends.end(context.awsRequestId);
        }
      },
  };
}

/**
 * The epoch milliseconds an INVOKE event must end by. Lambda sends epoch milliseconds;
 * its documentation has also shown the time remaining, which is taken as such.
 */
function deadlineOf(event: LifecycleEvent): number {
  const value = event.deadlineMs;
  if (typeof value !== 'number' || !Number.isFinite(value)) return Date.now() + 3_000;
  return value > 1e12 ? value : Date.now() + value;
}

function parseEvent(body: string): LifecycleEvent {
  const value: unknown = JSON.parse(body);
  if (typeof value !== 'object' || value === null) throw new Error('event/next answered no event object');
  const eventType: unknown = Reflect.get(value, 'eventType');
  const requestId: unknown = Reflect.get(value, 'requestId');
  const deadlineMs: unknown = Reflect.get(value, 'deadlineMs');
  if (typeof eventType !== 'string') throw new Error('event/next answered an event without eventType');
  return {
    eventType,
    requestId: typeof requestId === 'string' ? requestId : undefined,
    deadlineMs: typeof deadlineMs === 'number' ? deadlineMs : Number(deadlineMs),
  };
}

/**
 * Which invocations' handlers have returned. The INVOKE event reaches the extension and the
 * runtime at the same time, so the handler may end before or after the extension asks.
 */
class InvocationEnds {
  private readonly ended = new Set<string>();
  private readonly waiting = new Map<string, () => void>();

  public end(requestId: string): void {
    const waiter = this.waiting.get(requestId);
    if (waiter !== undefined) {
      this.waiting.delete(requestId);
      waiter();
      return;
    }
    this.ended.add(requestId);
    if (this.ended.size > MAX_ENDED) {
      const oldest = this.ended.values().next();
      if (oldest.done !== true) this.ended.delete(oldest.value);
    }
  }

  /** True once the handler of `requestId` has returned; false after `timeoutMs` without. */
  public whenEnded(requestId: string, timeoutMs: number): Promise<boolean> {
    if (this.ended.delete(requestId)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        resolve(false);
      }, timeoutMs);
      this.waiting.set(requestId, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

interface ApiResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One call to the Runtime API with node:http. `next` blocks until Lambda has an event and
 * may span a freeze of the instance, so it gets no timeout (as the API asks) and does not
 * go through `fetch`, whose client times out headers after 300 s.
 */
function call(
  method: 'GET' | 'POST',
  url: string,
  options: { headers: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () =>
        req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      );
    }
    req.end(options.body);
  });
}
