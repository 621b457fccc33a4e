import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ArtifactStore } from '../../functions/core/artifacts';
import { endpointModelsPrefix, type GpuEndpointRef } from '../../functions/core/endpoints';
import { MAX_INVOKE_BODY_BYTES } from '../../functions/adapters/sagemaker';
import type { ModelRuntime } from '../../functions/core/runtime/model-runtime';
import { LocalPlatformError } from '../errors';
import { tritonError, TritonContainer, type ContainerAnswer } from './triton-container';

/**
 * A local SageMaker: the SageMaker Runtime API (`POST /endpoints/{name}/invocations`, what
 * the SDK's `InvokeEndpoint` calls, with an endpoint override) in front of one Triton-like
 * container per GPU endpoint, each a server of its own speaking the container contract
 * (`GET /ping`, `POST /invocations` with `X-Amzn-SageMaker-Target-Model`). Containers load
 * the endpoint's `model.tar.gz` archives from the artifact store and run them on
 * onnxruntime-node (CPU). Failures can be injected, for tests and demonstrations.
 *
 * A component-based endpoint (a ref with `component`) takes invocations only with
 * `X-Amzn-SageMaker-Inference-Component` naming its component (the SDK's
 * `InferenceComponentName`) and serves the one archive it was deployed with
 * (`componentArchives`); the `no-capacity` fault makes it answer as a component scaled to
 * zero does.
 *
 * SageMaker's limits hold as on a real-time endpoint: a request body over 6 MB is refused
 * (413) before the container sees it, and a container response over 6 MB is not returned
 * (`ModelError` "could not load the entire response body"). Bodies pass through as bytes
 * with their content type, so Triton's binary tensor data works as it does on SageMaker.
 */

export interface LocalSageMakerOptions {
  /** The endpoints to serve (catalog name and SageMaker name). */
  readonly endpoints: readonly GpuEndpointRef[];
  /** Where the archives are: `sagemaker/<catalog name>/<TargetModel>`. */
  readonly artifacts: ArtifactStore;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * onnxruntime-node threads per model run.
   * @default 1 (comparable with the Lambda tier's single WASM thread)
   */
  readonly threads?: number;
  /**
   * The runtime the containers run models on.
   * @default onnxruntime-node (`NativeRuntime`), loaded on the first invocation
   */
  readonly runtime?: () => Promise<ModelRuntime>;
  /** AWS account id in messages and ARNs. @default '000000000000' */
  readonly accountId?: string;
  /**
   * The deployed model of each component-based endpoint, by SageMaker endpoint name: the
   * name of its `model.tar.gz` under the endpoint's prefix (`sagemaker/<catalog name>/`),
   * the local stand-in for the CDK asset SageMaker loads.
   * @default none
   */
  readonly componentArchives?: Readonly<Record<string, string>>;
}

/** A failure the endpoint shows to the next invocations. */
export type LocalSageMakerFault =
  /** The container answers this status with Triton's error body (`ModelError` upstream). */
  | { readonly kind: 'model-error'; readonly status: number; readonly message: string }
  /** The container never answers. */
  | { readonly kind: 'hang' }
  /** The container answers normally after `ms` more milliseconds (a slow model). */
  | { readonly kind: 'slow'; readonly ms: number }
  /** The runtime API answers 429 `ThrottlingException`. */
  | { readonly kind: 'throttle' }
  /** The runtime API answers 503 `ServiceUnavailable`. */
  | { readonly kind: 'unavailable' }
  /**
   * An inference component has no copy (scaled to zero): the runtime API answers SageMaker's
   * 400 `ValidationError` "Inference Component has no capacity to process this request".
   */
  | { readonly kind: 'no-capacity' };

export interface LocalSageMaker {
  /** Base URL of the runtime API: the SDK's endpoint override. */
  readonly endpoint: string;
  readonly endpoints: readonly GpuEndpointRef[];
  /** Base URL of the container of an endpoint (by SageMaker name). */
  containerUrl(endpointName: string): string;
  /** Invocations that reached the runtime API so far. */
  readonly invocations: number;
  /** Shows `fault` to the next `times` invocations, or to all until `clear()`. */
  inject(fault: LocalSageMakerFault, times?: number): void;
  clear(): void;
  /** Takes the runtime API down: connections are refused until `up()`. */
  down(): Promise<void>;
  /** Brings the runtime API back on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const VARIANT = 'AllTraffic';
const TARGET_MODEL_HEADER = 'x-amzn-sagemaker-target-model';
const COMPONENT_HEADER = 'x-amzn-sagemaker-inference-component';
/** SageMaker's answer to an invocation of an inference component without a copy. */
export const NO_CAPACITY_MESSAGE =
  'Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API.';
const INVOKE_PATH = /^\/endpoints\/([^/]+)\/invocations$/;

interface Fault {
  readonly fault: LocalSageMakerFault;
  remaining: number;
}

/**
 * Starts the local SageMaker on 127.0.0.1.
 *
 * @example
 * const sagemaker = await startLocalSageMaker({ endpoints: [{ name: 'ocr-rec', endpointName: 'infergate-local-ocr-rec' }], artifacts });
 * const client = createSageMakerRuntimeClient({ endpoint: sagemaker.endpoint });
 */
export async function startLocalSageMaker(options: LocalSageMakerOptions): Promise<LocalSageMaker> {
  const accountId = options.accountId ?? '000000000000';
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const threads = options.threads ?? 1;
  const runtime =
    options.runtime ??
    (async (): Promise<ModelRuntime> => {
      // Loaded on first use: a platform that never calls the tier never loads the native addon.
      const { NativeRuntime } = await import('../../functions/adapters/onnx/native-runtime');
      return NativeRuntime.create({ intraOpNumThreads: threads });
    });
  let sharedRuntime: Promise<ModelRuntime> | undefined;
  const runtimeOnce = () => (sharedRuntime ??= runtime());

  let current: Fault | undefined;
  let invocations = 0;
  const takeFault = (kinds: readonly LocalSageMakerFault['kind'][]): LocalSageMakerFault | undefined => {
    if (current === undefined || !kinds.includes(current.fault.kind)) return undefined;
    const { fault } = current;
    current.remaining -= 1;
    if (current.remaining <= 0) current = undefined;
    return fault;
  };

  const containers = new Map<
    string,
    { server: Server; url: string; prefix: string; ref: GpuEndpointRef; archive?: string }
  >();
  // SageMaker downloads a target model before its container sees it; names found once stay found.
  const downloaded = new Set<string>();
  for (const ref of options.endpoints) {
    const container = new TritonContainer({
      artifacts: options.artifacts,
      modelsPrefix: endpointModelsPrefix(ref.name),
      runtime: runtimeOnce,
    });
    const server = createServer((req, res) => {
      void serveContainer(req, res, container, () => takeFault(['model-error', 'hang', 'slow']));
    });
    await listen(server, 0);
    const archive = options.componentArchives?.[ref.endpointName];
    if (ref.component !== undefined && archive === undefined) {
      throw new LocalPlatformError(`Endpoint ${ref.endpointName} has an inference component but no archive`);
    }
    containers.set(ref.endpointName, {
      server,
      url: urlOf(server),
      prefix: endpointModelsPrefix(ref.name),
      ref,
      ...(archive === undefined ? {} : { archive }),
    });
  }

  const front = createServer((req, res) => {
    void (async () => {
      const match = INVOKE_PATH.exec(new URL(req.url ?? '/', 'http://local').pathname);
      if (req.method !== 'POST' || match === null) {
        awsError(
          res,
          404,
          'UnknownOperationException',
          `No operation at ${req.method ?? ''} ${req.url ?? ''}`,
        );
        return;
      }
      invocations++;
      const endpointName = decodeURIComponent(match[1] ?? '');
      const container = containers.get(endpointName);
      if (container === undefined) {
        awsError(res, 400, 'ValidationError', `Endpoint ${endpointName} of account ${accountId} not found.`);
        return;
      }
      const componentName = header(req, COMPONENT_HEADER);
      const { component } = container.ref;
      let targetModel = header(req, TARGET_MODEL_HEADER);
      if (component === undefined) {
        if (componentName !== undefined) {
          awsError(res, 400, 'ValidationError', `Endpoint ${endpointName} hosts no inference components.`);
          return;
        }
        if (targetModel === undefined) {
          awsError(res, 400, 'ValidationError', 'TargetModel header is required for a multi-model endpoint.');
          return;
        }
      } else {
        if (componentName === undefined || targetModel !== undefined) {
          awsError(
            res,
            400,
            'ValidationError',
            `Endpoint ${endpointName} hosts inference components: name one with InferenceComponentName (and no TargetModel).`,
          );
          return;
        }
        if (componentName !== component.name) {
          awsError(
            res,
            400,
            'ValidationError',
            `Inference Component ${componentName} not found on endpoint ${endpointName}.`,
          );
          return;
        }
        if (takeFault(['no-capacity']) !== undefined) {
          awsError(res, 400, 'ValidationError', NO_CAPACITY_MESSAGE);
          return;
        }
        targetModel = container.archive ?? '';
      }
      const body = await readBody(req, MAX_INVOKE_BODY_BYTES);
      if (body === undefined) {
        awsError(res, 413, 'ValidationError', `HTTP content length exceeded ${MAX_INVOKE_BODY_BYTES} bytes.`);
        return;
      }
      const key = `${container.prefix}${targetModel}`;
      if (!downloaded.has(key)) {
        if ((await options.artifacts.head(key)) === undefined) {
          awsError(
            res,
            400,
            'ValidationError',
            `Failed to download model data for TargetModel ${targetModel} (${key}).`,
          );
          return;
        }
        downloaded.add(key);
      }
      const fault = takeFault(['throttle', 'unavailable']);
      if (fault?.kind === 'throttle') {
        awsError(res, 429, 'ThrottlingException', 'Rate exceeded');
        return;
      }
      if (fault?.kind === 'unavailable') {
        awsError(res, 503, 'ServiceUnavailable', 'The service is unavailable. Please try again later.');
        return;
      }
      await forward(req, res, `${container.url}/invocations`, targetModel, body, {
        endpointName,
        logStreamArn: `arn:aws:logs:${region}:${accountId}:log-group:/aws/sagemaker/Endpoints/${endpointName}`,
      });
    })().catch((error: unknown) => {
      if (!res.headersSent)
        awsError(res, 500, 'InternalFailure', `local SageMaker failure: ${String(error)}`);
      else res.destroy();
    });
  });
  await listen(front, options.port ?? 0);
  const port = portOf(front);
  let isDown = false;

  return {
    endpoint: `http://${HOST}:${port}`,
    endpoints: options.endpoints,
    get invocations() {
      return invocations;
    },
    containerUrl(endpointName) {
      const container = containers.get(endpointName);
      if (container === undefined) throw new RangeError(`no local endpoint ${endpointName}`);
      return container.url;
    },
    inject(fault, times = Number.POSITIVE_INFINITY) {
      current = { fault, remaining: times };
    },
    clear() {
      current = undefined;
    },
    async down() {
      if (isDown) return;
      isDown = true;
      await closeServer(front);
    },
    async up() {
      if (!isDown) return;
      await listen(front, port);
      isDown = false;
    },
    async close() {
      await Promise.all([
        isDown ? Promise.resolve() : closeServer(front),
        ...[...containers.values()].map((container) => closeServer(container.server)),
      ]);
      isDown = true;
    },
  };
}

/** The container contract: `GET /ping`, `POST /invocations`. */
async function serveContainer(
  req: IncomingMessage,
  res: ServerResponse,
  container: TritonContainer,
  takeFault: () => LocalSageMakerFault | undefined,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  if (req.method === 'GET' && path === '/ping') {
    send(res, { status: 200, body: '', contentType: 'text/plain' });
    return;
  }
  if (req.method !== 'POST' || path !== '/invocations') {
    send(res, tritonError(404, `no route ${req.method ?? ''} ${path}`));
    return;
  }
  const body = (await readBody(req, Number.POSITIVE_INFINITY)) ?? Buffer.alloc(0);
  const fault = takeFault();
  if (fault?.kind === 'hang') return; // the connection stays open until the caller gives up
  if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.ms));
  if (fault?.kind === 'model-error') {
    send(res, tritonError(fault.status, fault.message));
    return;
  }
  send(
    res,
    await container.invoke(header(req, TARGET_MODEL_HEADER) ?? '', body, header(req, 'content-type')),
  );
}

/**
 * Passes an invocation to the container and its answer back as SageMaker does: 2xx as it
 * is, anything else as `ModelError` (424) carrying the container's status and body, and a
 * body over {@link MAX_INVOKE_BODY_BYTES} as the `ModelError` SageMaker gives when it
 * cannot return the response (status 500, no original message).
 */
async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  url: string,
  targetModel: string,
  body: Buffer,
  where: { endpointName: string; logStreamArn: string },
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': header(req, 'content-type') ?? 'application/octet-stream',
        accept: header(req, 'accept') ?? '*/*',
        'x-amzn-sagemaker-target-model': targetModel,
      },
      body: new Uint8Array(body),
      signal: abort.signal,
    });
  } catch (error) {
    if (abort.signal.aborted) return;
    throw error;
  }
  const answer = Buffer.from(await response.arrayBuffer());
  if (answer.byteLength > MAX_INVOKE_BODY_BYTES) {
    modelError(res, 500, undefined, where);
    return;
  }
  if (response.ok) {
    res.writeHead(200, {
      'content-type': response.headers.get('content-type') ?? 'application/json',
      'x-amzn-invoked-production-variant': VARIANT,
      'x-amzn-requestid': randomUUID(),
    });
    res.end(answer);
    return;
  }
  modelError(res, response.status, answer.toString('utf8'), where);
}

/**
 * SageMaker's `ModelError` (424) for a container that answered `status`, with its body
 * `text`, or without one when SageMaker could not load the whole response.
 */
function modelError(
  res: ServerResponse,
  status: number,
  text: string | undefined,
  where: { logStreamArn: string },
): void {
  const client = status >= 400 && status < 500;
  const kind = client ? 'client' : 'server';
  const received =
    text === undefined
      ? `Received ${kind} error (${status}) from primary and could not load the entire response body.`
      : `Received ${kind} error (${status}) from primary with message "${text}".`;
  res.writeHead(424, {
    'content-type': 'application/json',
    'x-amzn-errortype': 'ModelError',
    'x-amzn-requestid': randomUUID(),
  });
  res.end(
    JSON.stringify({
      ErrorCode: client ? 'CLIENT_ERROR_FROM_MODEL' : 'INTERNAL_FAILURE_FROM_MODEL',
      LogStreamArn: where.logStreamArn,
      Message: `${received} See ${where.logStreamArn} in account for more information.`,
      ...(text === undefined ? {} : { OriginalMessage: text }),
      OriginalStatusCode: status,
    }),
  );
}

function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
  });
  res.end(JSON.stringify({ message }));
}

function send(res: ServerResponse, answer: ContainerAnswer): void {
  res.writeHead(answer.status, { 'content-type': answer.contentType });
  res.end(answer.body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The whole body, or undefined when it exceeds `maxBytes` (read to its end all the same,
 * so that the answer reaches the caller instead of a reset connection).
 */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.byteLength;
    if (size <= maxBytes) chunks.push(buffer);
  }
  return size > maxBytes ? undefined : Buffer.concat(chunks);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void =>
      reject(
        new LocalPlatformError(`The local SageMaker cannot listen on ${HOST}:${port}: ${error.message}`, {
          cause: error,
        }),
      );
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new LocalPlatformError('The server has no TCP address');
  return address.port;
}

function urlOf(server: Server): string {
  return `http://${HOST}:${portOf(server)}`;
}

/** Closes at once: open connections (including hung invocations) are cut. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
