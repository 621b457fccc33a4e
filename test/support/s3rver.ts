import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of s3rver's (untyped) API used here. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const requireModule = createRequire(__filename);
const S3rver: S3rverConstructor = requireModule('s3rver');

/** A running local S3-compatible server with one bucket. */
export interface LocalS3 {
  readonly endpoint: string;
  readonly bucket: string;
  /** A client for the endpoint (path-style, the server's fixed credentials); destroyed by `stop()`. */
  readonly client: S3Client;
  /** A new client for the same endpoint with extra settings. */
  createClient(config?: S3ClientConfig): S3Client;
  /** Stops the server, deletes its directory and destroys the clients it made. */
  stop(): Promise<void>;
}

/** Client settings the local server needs: its fixed key pair, any region, path-style URLs. */
export const LOCAL_S3 = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  forcePathStyle: true,
} as const;

/**
 * Starts s3rver on 127.0.0.1 and a random port, storing objects in a new temporary
 * directory, with the bucket created up front (s3rver cannot create it from a presigned URL).
 *
 * @example
 * const s3 = await startS3rver();
 * const artifacts = new S3ArtifactStore({ bucket: s3.bucket, client: s3.client });
 * afterAll(() => s3.stop());
 */
export async function startS3rver(options: { bucket?: string } = {}): Promise<LocalS3> {
  const bucket = options.bucket ?? 'infergate-artifacts';
  const directory = await mkdtemp(join(tmpdir(), 'infergate-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;

  const clients: S3Client[] = [];
  const createClient = (config: S3ClientConfig = {}): S3Client => {
    const created = new S3Client({ ...LOCAL_S3, endpoint, ...config });
    clients.push(created);
    return created;
  };
  const client = createClient();

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const created of clients) created.destroy();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  };
  return { endpoint, bucket, client, createClient, stop };
}
