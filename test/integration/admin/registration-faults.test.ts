import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createDocumentClient,
  DynamoRegistryStore,
  DynamoUsageStore,
} from '../../../functions/adapters/dynamodb';
import { wasmTierRuntimes } from '../../../functions/adapters/onnx/tier-runtimes';
import { S3ArtifactStore } from '../../../functions/adapters/s3';
import { AdminService } from '../../../functions/core/admin/admin-service';
import { uploadKey } from '../../../functions/core/artifacts';
import { InfergateError } from '../../../functions/core/errors';
import { ModelValidator } from '../../../functions/core/validation';
import { fixtureModel } from '../../support/fixtures';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';
import { startS3rver, type LocalS3 } from '../../support/s3rver';

/**
 * One injected failure: the next calls of `command` whose input matches `when` fail, before
 * reaching the service (`fail`), or after it applied them, as when an answer is lost and
 * the SDK sends the request again (`lost-answer`: the request is sent twice, the second
 * answer is returned).
 */
interface Fault {
  readonly command: string;
  readonly when?: (input: object) => boolean;
  readonly mode?: 'fail' | 'lost-answer';
}

/** A socket reset, which the adapters answer as 503 (store unavailable). */
const reset = (): Error =>
  Object.assign(new Error('injected fault: socket reset (ECONNRESET)'), { code: 'ECONNRESET' });

/** Faults armed for one SDK client, each applied once. */
class Faults {
  private armed: Fault[] = [];

  public arm(fault: Fault): void {
    this.armed.push(fault);
  }

  /** Faults armed and not applied yet. */
  public get pending(): readonly Fault[] {
    return this.armed;
  }

  public clear(): void {
    this.armed = [];
  }

  /** Sends a command through `next`, unless an armed fault matches it. */
  public async apply<A extends { input: object }, R>(
    commandName: string | undefined,
    args: A,
    next: (args: A) => Promise<R>,
  ): Promise<R> {
    const fault = this.armed.find((f) => f.command === commandName && (f.when?.(args.input) ?? true));
    if (fault === undefined) return next(args);
    this.armed = this.armed.filter((f) => f !== fault);
    if (fault.mode === 'lost-answer') {
      await next(args);
      return next(args);
    }
    throw reset();
  }
}

/**
 * An attribute of a DynamoDB input's Item or Key. At the `initialize` step the input is the
 * document client's: attributes are plain values, not marshalled yet.
 */
function attribute(input: object, field: 'Item' | 'Key', name: string): string {
  const value: unknown = Reflect.get(Object(Reflect.get(input, field)), name);
  return typeof value === 'string' ? value : '';
}

/** The `Key` of an S3 input. */
function objectKey(input: object): string {
  const key: unknown = Reflect.get(input, 'Key');
  return typeof key === 'string' ? key : '';
}

/**
 * No orphans: registration is run against the real stores (dynalite, s3rver) with faults
 * injected into the SDK clients at each step after validation; after each failure the
 * model's item collection and the bucket are listed. Nothing half-registered remains: no
 * version item, no upload, no artifact copy that no version references.
 */
describe('registration under store faults', () => {
  let dynamo: LocalDynamo;
  let s3: LocalS3;
  let admin: AdminService;
  const dynamoFaults = new Faults();
  const s3Faults = new Faults();
  const cleanupErrors: string[] = [];
  let addMul: Uint8Array;

  beforeAll(async () => {
    [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
    const dynamoClient = dynamo.createClient({ maxAttempts: 1 });
    const s3Client = s3.createClient({ maxAttempts: 1 });
    // Before the retry middleware: an armed fault fails the call once, with no retry.
    dynamoClient.middlewareStack.add(
      (next, context) => (args) => dynamoFaults.apply(context.commandName, args, next),
      { step: 'initialize', name: 'injectFaults' },
    );
    s3Client.middlewareStack.add(
      (next, context) => (args) => s3Faults.apply(context.commandName, args, next),
      {
        step: 'initialize',
        name: 'injectFaults',
      },
    );
    const documentClient = createDocumentClient({ client: dynamoClient });
    admin = new AdminService({
      store: new DynamoRegistryStore({ tableName: dynamo.tableName, client: documentClient }),
      usage: new DynamoUsageStore({ tableName: dynamo.tableName, client: documentClient }),
      artifacts: new S3ArtifactStore({ bucket: s3.bucket, client: s3Client }),
      validator: new ModelValidator({ runtimes: wasmTierRuntimes(), maxModelBytes: 1024 * 1024 }),
      onCleanupError: (_error, key) => cleanupErrors.push(key),
      uploadUrlTtlSeconds: 900,
    });
    addMul = await readFile(fixtureModel('add-mul.onnx'));
  });

  afterEach(() => {
    // Every armed fault was met: no test passes because its fault never happened.
    expect([...dynamoFaults.pending, ...s3Faults.pending]).toEqual([]);
    dynamoFaults.clear();
    s3Faults.clear();
    cleanupErrors.length = 0;
  });

  afterAll(async () => {
    await Promise.all([dynamo?.stop(), s3?.stop()]);
  });

  /** A new model and an upload of `bytes` for it. */
  async function prepare(bytes: Uint8Array = addMul): Promise<{ name: string; uploadId: string }> {
    const name = `m-${randomBytes(4).toString('hex')}`;
    await admin.createModel({ name, visibility: 'public' });
    const uploadId = randomBytes(16).toString('hex');
    // Through the client without faults, as a client's presigned PUT would.
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: uploadKey(uploadId), Body: bytes }));
    return { name, uploadId };
  }

  /** Sort keys of the model's item collection (`MODEL`, `VERSION#...`, `ALIAS#...`). */
  async function items(name: string): Promise<string[]> {
    const output = await dynamo.client.send(
      new QueryCommand({
        TableName: dynamo.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `MODEL#${name}` } },
        ConsistentRead: true,
      }),
    );
    return (output.Items ?? []).map((item) => item.sk?.S ?? '').sort();
  }

  async function objectKeys(): Promise<string[]> {
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
  }

  async function failure(call: Promise<unknown>): Promise<InfergateError> {
    try {
      await call;
    } catch (error) {
      if (error instanceof InfergateError) return error;
      throw error;
    }
    throw new Error('expected the registration to fail');
  }

  const isVersionPut = (input: object) => attribute(input, 'Item', 'sk').startsWith('VERSION#');
  const isVersionGet = (input: object) => attribute(input, 'Key', 'sk').startsWith('VERSION#');
  const isModelUpdate = (input: object) => attribute(input, 'Key', 'sk') === 'MODEL';
  const isArtifact = (input: object) => objectKey(input).startsWith('artifacts/');
  const isUpload = (input: object) => objectKey(input).startsWith('uploads/');

  it('copying the artifact fails: 503, and neither the upload nor a version remains', async () => {
    const before = await objectKeys();
    const { name, uploadId } = await prepare();
    s3Faults.arm({ command: 'PutObjectCommand', when: isArtifact });

    const error = await failure(admin.createVersion(name, uploadId, 'lambda'));

    expect(error).toMatchObject({ status: 503, code: 'artifact_store_unavailable' });
    expect(await items(name)).toEqual(['MODEL']);
    expect(await objectKeys()).toEqual(before);
  });

  it('allocating the version number fails: the artifact copy and the upload are removed', async () => {
    const before = await objectKeys();
    const { name, uploadId } = await prepare();
    dynamoFaults.arm({ command: 'UpdateItemCommand', when: isModelUpdate });

    const error = await failure(admin.createVersion(name, uploadId, 'lambda'));

    expect(error).toMatchObject({ status: 503, code: 'store_unavailable' });
    expect(await items(name)).toEqual(['MODEL']);
    expect(await objectKeys()).toEqual(before);
    expect((await admin.getModel(name)).model.latestVersion).toBe(0);
  });

  it('writing the version fails: no version item, no artifact copy, no upload; the number is skipped', async () => {
    const before = await objectKeys();
    const { name, uploadId } = await prepare();
    dynamoFaults.arm({ command: 'PutItemCommand', when: isVersionPut });

    const error = await failure(admin.createVersion(name, uploadId, 'lambda'));

    expect(error).toMatchObject({ status: 503, code: 'store_unavailable' });
    expect(await items(name)).toEqual(['MODEL']);
    expect(await objectKeys()).toEqual(before);
    expect((await admin.getModel(name)).model.latestVersion).toBe(1);
    // The next registration works and takes the next number.
    const { uploadId: again } = await prepare();
    expect((await admin.createVersion(name, again, 'lambda')).version).toBe('2');
  });

  it('the version write is applied but its answer lost: the retry’s conflict is recognised as success', async () => {
    const { name, uploadId } = await prepare();
    dynamoFaults.arm({ command: 'PutItemCommand', when: isVersionPut, mode: 'lost-answer' });

    const version = await admin.createVersion(name, uploadId, 'lambda');

    expect(await items(name)).toEqual(['MODEL', 'VERSION#0000000001']);
    expect(await objectKeys()).toContain(version.artifact.key);
    expect(await objectKeys()).not.toContain(uploadKey(uploadId));
    expect(await admin.getModel(name)).toMatchObject({ versions: [version] });
  });

  it('the version write fails and cannot be checked: the artifact copy is kept, never a version without its file', async () => {
    const { name, uploadId } = await prepare(await readFile(fixtureModel('scalar.onnx')));
    dynamoFaults.arm({ command: 'PutItemCommand', when: isVersionPut });
    dynamoFaults.arm({ command: 'GetItemCommand', when: isVersionGet });

    const error = await failure(admin.createVersion(name, uploadId, 'lambda'));

    expect(error).toMatchObject({ status: 503, code: 'store_unavailable' });
    expect(await items(name)).toEqual(['MODEL']);
    const keys = await objectKeys();
    expect(keys).not.toContain(uploadKey(uploadId));
    expect(keys.filter((key) => key.startsWith('artifacts/'))).toHaveLength(2); // add-mul's and scalar's
  });

  it('keeps an artifact another version uses when a registration of the same bytes fails', async () => {
    const first = await prepare();
    const registered = await admin.createVersion(first.name, first.uploadId, 'lambda');
    const { name, uploadId } = await prepare();
    dynamoFaults.arm({ command: 'UpdateItemCommand', when: isModelUpdate });

    await failure(admin.createVersion(name, uploadId, 'lambda'));

    expect(await objectKeys()).toContain(registered.artifact.key);
    expect(await objectKeys()).not.toContain(uploadKey(uploadId));
  });

  it('removing the upload after a registration fails: the version stands and the failure is reported', async () => {
    const { name, uploadId } = await prepare();
    s3Faults.arm({ command: 'DeleteObjectCommand', when: isUpload });

    const version = await admin.createVersion(name, uploadId, 'lambda');

    expect(await items(name)).toEqual(['MODEL', 'VERSION#0000000001']);
    expect(cleanupErrors).toEqual([uploadKey(uploadId)]);
    // Left for the bucket's lifecycle rule on uploads/.
    expect(await objectKeys()).toEqual(expect.arrayContaining([uploadKey(uploadId), version.artifact.key]));
  });

  it('a refused model whose upload cannot be removed is still refused with its own error', async () => {
    const bytes = await readFile(fixtureModel(join('rejected', 'run-fails.onnx')));
    const { name, uploadId } = await prepare(bytes);
    s3Faults.arm({ command: 'DeleteObjectCommand', when: isUpload });

    const error = await failure(admin.createVersion(name, uploadId, 'lambda'));

    expect(error).toMatchObject({ status: 400, code: 'model_run_failed' });
    expect(cleanupErrors).toEqual([uploadKey(uploadId)]);
    expect(await items(name)).toEqual(['MODEL']);
  });
});
