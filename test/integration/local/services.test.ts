import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DataDirectoryLockedError } from '../../../local/errors';
import {
  startLocalArtifactStore,
  startLocalDynamo,
  type LocalDynamoOptions,
  type LocalService,
} from '../../../local/services';

/** Any credentials do: neither local service checks them. */
const AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;

const TABLE = 'infergate-services-test';

/**
 * Creates the table and, as with DynamoDB, waits until it is ACTIVE (polling every few
 * milliseconds, where the SDK waiter polls every second or more). Resolves to the wait.
 */
async function createTable(client: DynamoDBClient): Promise<number> {
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const started = performance.now();
  for (;;) {
    const described = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    if (described.Table?.TableStatus === 'ACTIVE') return performance.now() - started;
    if (performance.now() - started > 5_000) throw new Error('the table did not become ACTIVE in 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('local DynamoDB (dynalite)', () => {
  const dirs: string[] = [];
  const services: LocalService[] = [];
  const clients: DynamoDBClient[] = [];
  const newDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'infergate-dynamo-test-'));
    dirs.push(dir);
    return dir;
  };
  const start = async (options?: LocalDynamoOptions): Promise<LocalService> => {
    const service = await startLocalDynamo(options);
    services.push(service);
    return service;
  };
  const clientOf = (service: LocalService): DynamoDBClient => {
    const client = new DynamoDBClient({ ...AWS, endpoint: service.endpoint, maxAttempts: 1 });
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(services.splice(0).map((service) => service.close()));
  });
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it.each([
    ['in memory', false],
    ['in a directory', true],
  ])('serves the SDK %s on 127.0.0.1, with new tables ACTIVE within milliseconds', async (_label, onDisk) => {
    const dynamo = await start(onDisk ? { dir: await newDir() } : {});
    const client = clientOf(dynamo);

    const waitedMs = await createTable(client);
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'a' }, n: { N: '1' } } }));
    const got = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'a' } } }));

    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // dynalite's default keeps a table CREATING for 500 ms.
    expect(waitedMs).toBeLessThan(200);
    expect(got.Item).toEqual({ pk: { S: 'a' }, n: { N: '1' } });
  });

  it('keeps tables and items in its directory across a restart', async () => {
    const dir = await newDir();
    const first = await start({ dir });
    const firstClient = clientOf(first);
    await createTable(firstClient);
    await firstClient.send(
      new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'kept' }, v: { S: 'yes' } } }),
    );
    firstClient.destroy();
    await first.close();

    const second = await start({ dir });
    const secondClient = clientOf(second);
    const tables = await secondClient.send(new ListTablesCommand({}));
    const got = await secondClient.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'kept' } } }));

    expect(tables.TableNames).toEqual([TABLE]);
    expect(got.Item).toEqual({ pk: { S: 'kept' }, v: { S: 'yes' } });
  });

  it('refuses a second server on a directory in use, and the first keeps working', async () => {
    const dir = await newDir();
    const first = await start({ dir });
    const client = clientOf(first);
    await createTable(client);

    const second = start({ dir });

    await expect(second).rejects.toThrow(DataDirectoryLockedError);
    await expect(second).rejects.toThrow(/is in use by another process/);
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'after' } } }));
    const got = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'after' } } }));
    expect(got.Item).toEqual({ pk: { S: 'after' } });
  });

  it('can be closed twice', async () => {
    const dynamo = await start();

    await dynamo.close();

    await expect(dynamo.close()).resolves.toBeUndefined();
  });
});

describe('local artifact store (s3rver)', () => {
  const BUCKET = 'infergate-artifacts-test';
  let dir: string;
  let store: LocalService;
  const clients: S3Client[] = [];
  const s3 = (config: S3ClientConfig = {}): S3Client => {
    const client = new S3Client({
      ...AWS,
      endpoint: store.endpoint,
      forcePathStyle: true,
      maxAttempts: 1,
      ...config,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infergate-s3-test-'));
    store = await startLocalArtifactStore({ dir, bucket: BUCKET });
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('puts and gets objects through the SDK with any credentials', async () => {
    const client = s3();
    const bytes = Buffer.from([0, 1, 2, 3, 254, 255]);

    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'models/a b.onnx', Body: bytes }));
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'models/a b.onnx' }));

    expect(store.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(bytes);
    expect(got.ContentLength).toBe(bytes.length);
  });

  it('accepts a presigned PUT sent with fetch', async () => {
    const client = s3({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/x.bin' }), {
      expiresIn: 60,
    });
    const bytes = new Uint8Array([9, 8, 7, 6, 5]);

    const put = await fetch(url, { method: 'PUT', body: bytes });
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/x.bin' }));

    expect(put.status).toBe(200);
    expect(await got.Body?.transformToByteArray()).toEqual(bytes);
  });

  it("refuses, as S3 does, a presigned PUT that carries the SDK default's empty-body checksum", async () => {
    const client = s3();
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/y.bin' }), {
      expiresIn: 60,
    });

    const put = await fetch(url, { method: 'PUT', body: new Uint8Array([1, 2, 3]) });

    expect(url).toContain('x-amz-checksum-crc32=AAAAAA%3D%3D');
    expect(put.status).toBe(400);
    expect(await put.text()).toContain('<Code>BadDigest</Code>');
  });

  it('refuses an aws-chunked (streamed) upload rather than storing its chunk framing', async () => {
    const quiet = () => undefined;
    // The SDK warns on the console when a streamed request fails; the failure is the point here.
    const client = s3({ logger: { debug: quiet, info: quiet, warn: quiet, error: quiet } });

    const put = client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'streamed.bin',
        Body: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
        ContentLength: 6,
      }),
    );

    await expect(put).rejects.toMatchObject({ name: 'NotImplemented' });
  });

  it('stores a streamed upload when the client sends it unchunked', async () => {
    const client = s3({ requestChecksumCalculation: 'WHEN_REQUIRED' });

    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'streamed.bin',
        Body: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
        ContentLength: 6,
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed.bin' }));

    expect(await got.Body?.transformToString()).toBe('abcdef');
  });

  it('keeps objects in its directory across a restart', async () => {
    const restartDir = await mkdtemp(join(tmpdir(), 'infergate-s3-restart-'));
    const started: LocalService[] = [];
    const own: S3Client[] = [];
    const startStore = async (): Promise<S3Client> => {
      const service = await startLocalArtifactStore({ dir: restartDir, bucket: BUCKET });
      started.push(service);
      const client = new S3Client({
        ...AWS,
        endpoint: service.endpoint,
        forcePathStyle: true,
        maxAttempts: 1,
      });
      own.push(client);
      return client;
    };
    try {
      const before = await startStore();
      await before.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: 'kept' }));
      before.destroy();
      await started[0]?.close();

      const after = await startStore();
      const got = await after.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kept.txt' }));

      expect(await got.Body?.transformToString()).toBe('kept');
    } finally {
      for (const client of own) client.destroy();
      await Promise.all(started.map((service) => service.close()));
      await rm(restartDir, { recursive: true, force: true });
    }
  });

  it('refuses an invalid bucket name, naming the argument', async () => {
    await expect(startLocalArtifactStore({ dir, bucket: 'Not_Valid' })).rejects.toThrow(
      /bucket must be a valid S3 bucket name/,
    );
  });
});
