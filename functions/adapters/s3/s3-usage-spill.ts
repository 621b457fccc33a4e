import {
  DeleteObjectCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { USAGE_SPILL_PREFIX } from '../../constants';
import { UnavailableError } from '../../core/errors';
import type { UsageSpill } from '../../core/metering/usage-spill';
import { type UsageWrite, WRITER_PATTERN, writeId } from '../../core/metering/usage-write';
import { isArtifactStoreUnavailable, isMissingObject } from './errors';

export { USAGE_SPILL_PREFIX };

const SUFFIX = '.json';
const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}-[1-9][0-9]{0,15}$/;

/** Constructor options of {@link S3UsageSpill}: a client to reuse or a configuration for a new one. */
export type S3UsageSpillOptions = {
  readonly bucket: string;
} & (
  | { readonly client?: S3Client; readonly clientConfig?: never }
  | { readonly client?: never; readonly clientConfig?: S3ClientConfig }
);

/** The stored form of a spilled write (format 1): plain JSON, the instant as an ISO string. */
const spilledWrite = z.object({
  format: z.literal(1),
  writer: z.string().regex(WRITER_PATTERN),
  sequence: z.number().int().positive(),
  event: z.object({
    tenantId: z.string().min(1),
    keyId: z.string(),
    modelName: z.string().min(1),
    version: z.string().min(1),
    plan: z.string().min(1),
    at: z.iso.datetime(),
    error: z.boolean(),
    computeMs: z.number().nonnegative(),
    inputBytes: z.number().nonnegative(),
    outputBytes: z.number().nonnegative(),
  }),
});

/**
 * Spilled usage writes as S3 objects under `spill/usage/` of the artifact bucket (in AWS, or
 * the local S3-compatible server): one small JSON object per write, named by its write id,
 * so spilling the same write twice keeps one object. The inference function may only put
 * objects there; the replay function lists, reads and deletes them.
 *
 * @example
 * const spill = new S3UsageSpill({ bucket: config.artifactBucket, client: s3Client });
 * await spill.put(write);
 * for await (const id of spill.list()) console.log(id, await spill.get(id));
 */
export class S3UsageSpill implements UsageSpill {
  private readonly client: S3Client;
  private readonly bucket: string;

  public constructor(options: S3UsageSpillOptions) {
    if (options.bucket === '') throw new TypeError('options.bucket must be a bucket name');
    this.client = options.client ?? new S3Client(options.clientConfig ?? {});
    this.bucket = options.bucket;
  }

  public async put(write: UsageWrite, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    const key = keyOf(writeId(write));
    const body = JSON.stringify({
      format: 1,
      writer: write.writer,
      sequence: write.sequence,
      event: { ...write.event, at: write.event.at.toISOString() },
    });
    await this.call(key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
        }),
        { abortSignal: options.signal },
      ),
    );
  }

  public async *list(): AsyncIterable<string> {
    const pages = paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: USAGE_SPILL_PREFIX },
    );
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          const id = object.Key?.slice(USAGE_SPILL_PREFIX.length, -SUFFIX.length) ?? '';
          if (object.Key?.endsWith(SUFFIX) === true && ID_PATTERN.test(id)) yield id;
        }
      }
    } catch (error) {
      throw translate(error, USAGE_SPILL_PREFIX);
    }
  }

  public async get(id: string): Promise<UsageWrite | undefined> {
    const key = keyOf(id);
    let text: string;
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = (await output.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw translate(error, key);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`spilled usage ${key} is not JSON`, { cause: error });
    }
    const parsed = spilledWrite.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      throw new Error(`spilled usage ${key} is not a usage write: ${problems.join('; ')}`);
    }
    const { writer, sequence, event } = parsed.data;
    const write: UsageWrite = { writer, sequence, event: { ...event, at: new Date(event.at) } };
    if (writeId(write) !== id) {
      throw new Error(`spilled usage ${key} holds write ${writeId(write)}, not ${id}`);
    }
    return write;
  }

  public async remove(id: string): Promise<void> {
    const key = keyOf(id);
    await this.call(key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  private async call(key: string, operation: () => Promise<unknown>): Promise<void> {
    try {
      await operation();
    } catch (error) {
      throw translate(error, key);
    }
  }
}

function keyOf(id: string): string {
  if (!ID_PATTERN.test(id))
    throw new RangeError(`id must be a write id (<writer>-<sequence>), got "${id.slice(0, 80)}"`);
  return `${USAGE_SPILL_PREFIX}${id}${SUFFIX}`;
}

/** Throttling, 5xx, timeouts and the network become `UnavailableError`; anything else stays as it is. */
function translate(error: unknown, key: string): unknown {
  if (isArtifactStoreUnavailable(error)) {
    return new UnavailableError(
      'usage_spill_unavailable',
      `the usage spill is unavailable (${key}), retry later`,
      {
        cause: error,
      },
    );
  }
  return error;
}
