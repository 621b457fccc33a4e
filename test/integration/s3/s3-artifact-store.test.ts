import { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { S3ArtifactStore } from '../../../functions/adapters/s3/s3-artifact-store';
import { translateS3Error } from '../../../functions/adapters/s3/errors';
import { artifactKey, uploadKey } from '../../../functions/core/artifacts';
import { NotFoundError, UnavailableError } from '../../../functions/core/errors';
import { LOCAL_S3, type LocalS3, startS3rver } from '../../support/s3rver';

let s3: LocalS3;
let store: S3ArtifactStore;

beforeAll(async () => {
  s3 = await startS3rver();
  store = new S3ArtifactStore({ bucket: s3.bucket, client: s3.client });
});

afterAll(async () => {
  await s3.stop();
});

function uniqueKey(): string {
  return artifactKey(randomBytes(32).toString('hex'));
}

test('put, head, get and delete an object', async () => {
  const key = uniqueKey();
  const bytes = new Uint8Array(randomBytes(256 * 1024));

  await store.put(key, bytes);

  await expect(store.head(key)).resolves.toStrictEqual({ size: bytes.byteLength });
  const read = await store.get(key);
  expect(Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
  await store.delete(key);
  await expect(store.head(key)).resolves.toBeUndefined();
});

test('an empty object round-trips', async () => {
  const key = uniqueKey();

  await store.put(key, new Uint8Array());

  await expect(store.head(key)).resolves.toStrictEqual({ size: 0 });
  await expect(store.get(key)).resolves.toHaveLength(0);
});

test('a missing object is artifact_not_found for get, undefined for head, and deletable', async () => {
  const key = uniqueKey();

  const read = store.get(key);

  await expect(read).rejects.toBeInstanceOf(NotFoundError);
  await expect(read).rejects.toMatchObject({ status: 404, code: 'artifact_not_found' });
  await expect(store.head(key)).resolves.toBeUndefined();
  await expect(store.delete(key)).resolves.toBeUndefined();
});

test('a presigned URL accepts one PUT of the bytes with plain fetch', async () => {
  const key = uploadKey(randomBytes(16).toString('hex'));
  const bytes = new Uint8Array(randomBytes(4096));

  const url = await store.createUploadUrl(key, 300);
  const response = await fetch(url, { method: 'PUT', body: bytes });

  expect(response.status).toBe(200);
  const read = await store.get(key);
  expect(Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
});

test("a presigned URL does not pin the SDK's checksum of an empty body", async () => {
  const url = new URL(await store.createUploadUrl(uploadKey('0123456789abcdef'), 60));

  const names = [...url.searchParams.keys()].map((name) => name.toLowerCase());

  expect(names).toContain('x-amz-signature');
  expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
  expect(names.filter((name) => name.includes('checksum'))).toStrictEqual([]);
});

test('an upload URL lifetime outside 1 s .. 7 days is refused, naming the argument', async () => {
  await expect(store.createUploadUrl('uploads/x', 0)).rejects.toThrow(/expiresInSeconds/);
  await expect(store.createUploadUrl('uploads/x', 7 * 24 * 3600 + 1)).rejects.toThrow(/expiresInSeconds/);
});

test('a missing bucket is not reported as a missing artifact', async () => {
  const wrongBucket = new S3ArtifactStore({ bucket: 'no-such-bucket', client: s3.client });

  const read = wrongBucket.get(uniqueKey());

  await expect(read).rejects.toMatchObject({ name: 'NoSuchBucket' });
  await expect(read).rejects.not.toBeInstanceOf(NotFoundError);
});

test('a stopped server makes the store unavailable', async () => {
  const other = await startS3rver();
  // A client of its own: `stop()` destroys the clients the server handed out.
  const client = new S3Client({
    ...LOCAL_S3,
    endpoint: other.endpoint,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 300, requestTimeout: 500, throwOnRequestTimeout: true },
  });
  const unreachable = new S3ArtifactStore({ bucket: other.bucket, client });
  await other.stop();

  const read = unreachable.get(uniqueKey());

  await expect(read).rejects.toBeInstanceOf(UnavailableError);
  await expect(read).rejects.toMatchObject({ status: 503, code: 'artifact_store_unavailable' });
  client.destroy();
});

test('S3 throttling and faults are unavailable; other errors pass through', () => {
  const slowDown = Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
  const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });

  expect(translateS3Error(slowDown, 'k')).toMatchObject({
    code: 'artifact_store_unavailable',
    cause: slowDown,
  });
  expect(translateS3Error(denied, 'k')).toBe(denied);
});
