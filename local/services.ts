import { mkdir } from 'node:fs/promises';
import { createServer, Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { DataDirectoryLockedError, LocalPlatformError } from './errors';

/** A local stand-in for an AWS service, reached through the real SDK at `endpoint`. */
export interface LocalService {
  /** `http://127.0.0.1:<port>`: the endpoint override for the SDK client. */
  readonly endpoint: string;
  /** Stops the server and releases its files; safe to call twice. */
  close(): Promise<void>;
}

export interface LocalDynamoOptions {
  /** LevelDB directory that keeps the data across restarts. @default undefined (in memory) */
  readonly dir?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

export interface LocalArtifactStoreOptions {
  /** Where objects are kept. For a throwaway run pass a temporary directory and remove it after `close()`. */
  readonly dir: string;
  /** The bucket, created up front (a presigned PUT cannot create it). */
  readonly bucket: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

/** The only interface the local services bind: nothing is reachable from other machines. */
const HOST = '127.0.0.1';
/** Connections still open this long after `close()` are cut. */
const CLOSE_GRACE_MS = 5_000;
/** The access key s3rver knows; every request is made to look signed with it. */
const S3RVER_ACCESS_KEY_ID = 'S3RVER';
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const requireHere = createRequire(__filename);

/**
 * Starts dynalite, a DynamoDB-compatible server, on 127.0.0.1. New tables turn ACTIVE
 * within milliseconds (dynalite's 500 ms CREATING/UPDATING/DELETING delays are set to 0),
 * but not synchronously: as with DynamoDB, wait for ACTIVE (`waitUntilTableExists`)
 * before using a new table. With `dir` the data lives in a LevelDB
 * directory and survives restarts; LevelDB allows one process per directory, so a
 * second server on the same `dir` fails here with `DataDirectoryLockedError` (dynalite
 * itself would start and then crash the process on its first request).
 *
 * @example
 * const dynamo = await startLocalDynamo({ dir: '.infergate/dynamodb' });
 * const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 * await dynamo.close();
 */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalService> {
  const port = checkPort(options.port);
  const { dir } = options;
  if (dir !== undefined) {
    if (dir.trim() === '')
      throw new RangeError('startLocalDynamo: dir must be a directory path or undefined');
    await mkdir(dir, { recursive: true });
    await assertDirectoryUnlocked(dir);
  }
  const server = createDynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  try {
    await listen(server, port, 'local DynamoDB');
  } catch (error) {
    // dynalite closes its database only when closing a listening server.
    await listen(server, 0, 'local DynamoDB');
    await closeServer(server);
    throw error;
  }
  let closed: Promise<void> | undefined;
  return { endpoint: endpointOf(server), close: () => (closed ??= closeServer(server)) };
}

/**
 * Starts s3rver, an S3-compatible server, on 127.0.0.1 with `bucket` created, storing
 * objects under `dir`. Clients use path-style URLs (`forcePathStyle: true`) and any
 * credentials. Two things real S3 does that s3rver does not are checked in front of it,
 * so that what fails in AWS fails locally too:
 *
 * - an upload whose signed checksum is that of an empty body (what
 *   `getSignedUrl(new PutObjectCommand(...))` signs with the SDK's default
 *   `requestChecksumCalculation`) is refused with `BadDigest` when a body comes;
 * - an `aws-chunked` upload (the SDK's default for a streamed body) is refused with
 *   `NotImplemented` instead of being stored with its chunk framing.
 *
 * @example
 * const store = await startLocalArtifactStore({ dir: '.infergate/artifacts', bucket: 'infergate-artifacts' });
 * const s3 = new S3Client({ endpoint: store.endpoint, forcePathStyle: true, region: 'us-east-1' });
 * await store.close();
 */
export async function startLocalArtifactStore(options: LocalArtifactStoreOptions): Promise<LocalService> {
  const port = checkPort(options.port);
  const problems: string[] = [];
  if (typeof options.dir !== 'string' || options.dir.trim() === '')
    problems.push('dir must be a directory path');
  if (!BUCKET_NAME.test(options.bucket) || options.bucket.includes('..'))
    problems.push(
      `bucket must be a valid S3 bucket name (3-63 of a-z, 0-9, ".", "-"), got "${options.bucket}"`,
    );
  if (problems.length > 0) throw new RangeError(`startLocalArtifactStore: ${problems.join('; ')}`);

  await mkdir(options.dir, { recursive: true });
  const s3rver = createS3rver({
    directory: options.dir,
    silent: true,
    configureBuckets: [{ name: options.bucket }],
  });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const server = createServer((req, res) => {
    const refusal = refuseLikeS3(req);
    if (refusal !== undefined) {
      sendS3Error(res, refusal);
      return;
    }
    acceptAnyAccessKey(req);
    handle(req, res);
  });
  await listen(server, port, 'local artifact store');
  let closed: Promise<void> | undefined;
  return { endpoint: endpointOf(server), close: () => (closed ??= closeServer(server)) };
}

interface DynaliteOptions {
  readonly path: string | undefined;
  readonly createTableMs: number;
  readonly deleteTableMs: number;
  readonly updateTableMs: number;
}

/** dynalite has no type declarations: load it and check what it gives back. */
function createDynalite(options: DynaliteOptions): Server {
  const dynalite: unknown = requireHere('dynalite');
  if (typeof dynalite !== 'function') throw new LocalPlatformError('dynalite does not export a function');
  const server: unknown = dynalite(options);
  if (!(server instanceof Server)) throw new LocalPlatformError('dynalite did not return an http.Server');
  return server;
}

interface LevelDatabase {
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens and closes the directory with the LevelDB dynalite uses, so that a directory
 * held by another process (or server) is reported now, not as a crash later.
 */
async function assertDirectoryUnlocked(dir: string): Promise<void> {
  const requireFromDynalite = createRequire(requireHere.resolve('dynalite'));
  const level: unknown = requireFromDynalite('level');
  const Level: unknown =
    typeof level === 'object' && level !== null ? Reflect.get(level, 'Level') : undefined;
  if (typeof Level !== 'function')
    throw new LocalPlatformError("dynalite's LevelDB module has no Level class");
  const db: unknown = Reflect.construct(Level, [dir]);
  if (!isLevelDatabase(db)) throw new LocalPlatformError('LevelDB did not return a database');
  try {
    await db.open();
  } catch (error) {
    const cause: unknown =
      typeof error === 'object' && error !== null ? Reflect.get(error, 'cause') : undefined;
    if (hasCode(error, 'LEVEL_LOCKED') || hasCode(cause, 'LEVEL_LOCKED'))
      throw new DataDirectoryLockedError(dir, { cause: error });
    throw new LocalPlatformError(`Cannot open the local DynamoDB data directory ${dir}: ${String(error)}`, {
      cause: error,
    });
  }
  await db.close();
}

function isLevelDatabase(value: unknown): value is LevelDatabase {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'open') === 'function' &&
    typeof Reflect.get(value, 'close') === 'function'
  );
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && Reflect.get(error, 'code') === code;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

interface S3rverApp {
  configureBuckets(): Promise<unknown>;
  callback(): RequestListener;
}

/** s3rver has no type declarations: load it and check what it gives back. */
function createS3rver(options: {
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}): S3rverApp {
  const S3rver: unknown = requireHere('s3rver');
  if (typeof S3rver !== 'function') throw new LocalPlatformError('s3rver does not export a class');
  const app: unknown = Reflect.construct(S3rver, [options]);
  if (typeof app !== 'object' || app === null) throw new LocalPlatformError('s3rver did not construct');
  const configureBuckets: unknown = Reflect.get(app, 'configureBuckets');
  const callback: unknown = Reflect.get(app, 'callback');
  if (typeof configureBuckets !== 'function' || typeof callback !== 'function')
    throw new LocalPlatformError('s3rver has no configureBuckets() or callback()');
  return {
    configureBuckets: async () => {
      await Reflect.apply(configureBuckets, app, []);
    },
    callback: () => {
      const listener: unknown = Reflect.apply(callback, app, []);
      if (typeof listener !== 'function') throw new LocalPlatformError('s3rver.callback() is not a function');
      return (req, res) => {
        listener(req, res);
      };
    },
  };
}

interface S3Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** An all-zero base64 checksum: CRC32, CRC32C or CRC64NVME of an empty body. */
const EMPTY_BODY_CRC = /^A+=*$/;

/** What real S3 would refuse and s3rver would accept (see `startLocalArtifactStore`). */
function refuseLikeS3(req: IncomingMessage): S3Refusal | undefined {
  const encoding = req.headers['content-encoding'] ?? '';
  const sha256 = req.headers['x-amz-content-sha256'];
  if (encoding.includes('aws-chunked') || (typeof sha256 === 'string' && sha256.startsWith('STREAMING-'))) {
    return {
      status: 501,
      code: 'NotImplemented',
      message:
        'The local artifact store (s3rver) cannot decode aws-chunked uploads. Create the S3 client with ' +
        "requestChecksumCalculation: 'WHEN_REQUIRED', or upload a Buffer rather than a stream.",
    };
  }
  if (req.method !== 'PUT' && req.method !== 'POST') return undefined;
  const length = Number(req.headers['content-length'] ?? '0');
  if (!(length > 0)) return undefined;
  const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
  for (const algorithm of ['crc32', 'crc32c', 'crc64nvme']) {
    const name = `x-amz-checksum-${algorithm}`;
    const declared = req.headers[name] ?? query.get(name) ?? undefined;
    if (typeof declared === 'string' && EMPTY_BODY_CRC.test(declared)) {
      return {
        status: 400,
        code: 'BadDigest',
        message:
          `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum: the request ` +
          'declares the checksum of an empty body. A URL presigned with the SDK default ' +
          "requestChecksumCalculation signs that; create the client with requestChecksumCalculation: 'WHEN_REQUIRED'.",
      };
    }
  }
  return undefined;
}

function sendS3Error(res: ServerResponse, refusal: S3Refusal): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${refusal.code}</Code><Message>${escapeXml(refusal.message)}</Message></Error>`;
  res.writeHead(refusal.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * s3rver knows one access key (`S3RVER`) and does not verify SigV4 signatures: the key id
 * in the request is replaced with it, so that clients keep whatever credentials they have.
 */
function acceptAnyAccessKey(req: IncomingMessage): void {
  const { authorization } = req.headers;
  if (authorization !== undefined && authorization.startsWith('AWS4-')) {
    req.headers.authorization = authorization.replace(
      /Credential=[^/,\s]*\//,
      `Credential=${S3RVER_ACCESS_KEY_ID}/`,
    );
  }
  if (req.url !== undefined && /[?&]X-Amz-Credential=/i.test(req.url)) {
    req.url = req.url.replace(/([?&]X-Amz-Credential=)[^&]*?(%2F|\/)/i, `$1${S3RVER_ACCESS_KEY_ID}$2`);
  }
}

function checkPort(port: number | undefined): number {
  const value = port ?? 0;
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new RangeError(`port must be an integer from 0 to 65535, got ${value}`);
  return value;
}

function listen(server: Server, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void =>
      reject(
        new LocalPlatformError(`The ${what} cannot listen on ${HOST}:${port}: ${error.message}`, {
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

function endpointOf(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new LocalPlatformError('The server has no TCP address');
  return `http://${HOST}:${address.port}`;
}

/** Closes the server (and, for dynalite, its database) once its connections are gone. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    force.unref();
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
