import {
  DeleteObjectCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import * as z from '../../api/zod-mini';
import { USAGE_SPILL_PREFIX } from '../../constants';
import { UnavailableError } from '../../core/errors';
import type { UsageEvent } from '../../core/metering/types';
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

const nonEmpty = () => z.string().check(z.minLength(1));
const count = () => z.number().check(z.nonnegative());
const writer = () => z.string().check(z.regex(WRITER_PATTERN));
const sequence = () => z.int().check(z.positive());

const storedEvent = z.object({
  tenantId: nonEmpty(),
  keyId: z.string(),
  modelName: nonEmpty(),
  version: nonEmpty(),
  plan: nonEmpty(),
  at: z.iso.datetime(),
  error: z.boolean(),
  computeMs: count(),
  inputBytes: count(),
  outputBytes: count(),
});

/**
 * The stored form of a spilled write: plain JSON, instants as ISO strings. Format 1: a usage
 * row write (writer, number, event). Format 2: an admit-and-meter write for the limiter's record
 * of the tenant (`target: 'month'`), with the request's successful pipeline steps and the day of
 * the record it was sent to.
 */
const spilledWrite = z.discriminatedUnion('format', [
  z.object({
    format: z.literal(1),
    writer: writer(),
    sequence: sequence(),
    event: storedEvent,
  }),
  z.object({
    format: z.literal(2),
    target: z.literal('month'),
    writer: writer(),
    sequence: sequence(),
    event: storedEvent,
    steps: z.array(storedEvent),
    day: z.optional(z.iso.date()),
  }),
]);

type StoredEvent = z.infer<typeof storedEvent>;

const storedOf = (event: UsageEvent): StoredEvent => ({ ...event, at: event.at.toISOString() });
const eventOf = (stored: StoredEvent): UsageEvent => ({ ...stored, at: new Date(stored.at) });

/**
 * Spilled usage writes as S3 objects under `spill/usage/` of the artifact bucket (in AWS, or
 * the local S3-compatible server): one small JSON object per write (usage rows, and the
 * admit-and-meter writes of the limiter whose outcome was unknown), named by its write id,
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
    const { writer, sequence } = write;
    const body = JSON.stringify(
      write.target === 'month'
        ? {
            format: 2,
            target: 'month',
            writer,
            sequence,
            event: storedOf(write.event),
            steps: (write.steps ?? []).map(storedOf),
            ...(write.day === undefined ? {} : { day: write.day }),
          }
        : { format: 1, writer, sequence, event: storedOf(write.event) },
    );
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
    const stored = parsed.data;
    const { writer, sequence } = stored;
    const write: UsageWrite =
      stored.format === 2
        ? {
            writer,
            sequence,
            event: eventOf(stored.event),
            target: 'month',
            steps: stored.steps.map(eventOf),
            ...(stored.day === undefined ? {} : { day: stored.day }),
          }
        : { writer, sequence, event: eventOf(stored.event) };
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
