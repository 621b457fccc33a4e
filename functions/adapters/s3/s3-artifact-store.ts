import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ArtifactStore } from '../../core/artifacts';
import { isMissingObject, translateS3Error } from './errors';

/** Constructor options of {@link S3ArtifactStore}: a client to reuse or a configuration for a new one. */
export type S3ArtifactStoreOptions = {
  readonly bucket: string;
} & (
  | { readonly client?: S3Client; readonly clientConfig?: never }
  | { readonly client?: never; readonly clientConfig?: S3ClientConfig }
);

/** S3 refuses presigned URLs that live longer than seven days. */
const MAX_URL_SECONDS = 7 * 24 * 60 * 60;

/**
 * Headers of the SDK's default request checksums (CRC32 since client-s3 3.729). Signed into
 * a presigned PUT they would pin the checksum of an empty body, and S3 would refuse the
 * uploader's real bytes.
 */
const CHECKSUM_HEADERS = [
  'x-amz-sdk-checksum-algorithm',
  'x-amz-checksum-crc32',
  'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1',
  'x-amz-checksum-sha256',
];

/**
 * Model artifacts and pending uploads in an S3 bucket (or the local S3-compatible server:
 * only `clientConfig.endpoint` and `forcePathStyle` differ).
 *
 * @example
 * const artifacts = new S3ArtifactStore({ bucket: config.artifactBucket });
 * const bytes = await artifacts.get(artifactKey(version.artifact.sha256));
 */
export class S3ArtifactStore implements ArtifactStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  public constructor(options: S3ArtifactStoreOptions) {
    if (options.bucket === '') throw new TypeError('options.bucket must be a bucket name');
    this.client = options.client ?? new S3Client(options.clientConfig ?? {});
    this.bucket = options.bucket;
  }

  public async get(key: string): Promise<Uint8Array> {
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (output.Body === undefined) return new Uint8Array();
      return await output.Body.transformToByteArray();
    } catch (error) {
      throw translateS3Error(error, key);
    }
  }

  public async put(key: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: 'application/octet-stream',
        }),
      );
    } catch (error) {
      throw translateS3Error(error, key);
    }
  }

  public async head(key: string): Promise<{ size: number } | undefined> {
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: output.ContentLength ?? 0 };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw translateS3Error(error, key);
    }
  }

  public async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw translateS3Error(error, key);
    }
  }

  public async createUploadUrl(key: string, expiresInSeconds: number): Promise<string> {
    if (!(
      Number.isInteger(expiresInSeconds) &&
      expiresInSeconds > 0 &&
      expiresInSeconds <= MAX_URL_SECONDS
    )) {
      throw new RangeError(
        `expiresInSeconds must be an integer from 1 to ${MAX_URL_SECONDS}, got ${expiresInSeconds}`,
      );
    }
    // Signing is local (no request), so there is no S3 error to translate. The SDK adds a
    // checksum of the (empty) body it signs; kept out of the URL, the uploader's bytes decide.
    return getSignedUrl(this.client, new PutObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
      unhoistableHeaders: new Set(CHECKSUM_HEADERS),
      unsignableHeaders: new Set(CHECKSUM_HEADERS),
    });
  }
}
