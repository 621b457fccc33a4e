import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  BucketEncryption,
  type BucketProps,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';

/** Prefix of content-addressed model artifacts (see `artifactKey()` in functions/core/artifacts.ts). */
export const ARTIFACTS_PREFIX = 'artifacts/';
/** Prefix of pending uploads (see `uploadKey()`). */
export const UPLOADS_PREFIX = 'uploads/';
/** Prefix of the GPU endpoints' Triton model archives, `sagemaker/<endpoint>/<sha256>.tar.gz`. */
export const SAGEMAKER_PREFIX = 'sagemaker/';

export interface ArtifactLifecycle {
  /** Incomplete multipart uploads are aborted after this many days. */
  readonly abortIncompleteUploadsAfter: Duration;
  /** Objects under `uploads/` that were never registered are deleted after this. */
  readonly expireUploadsAfter: Duration;
  /** Overwritten or deleted object versions are kept this long (undo window). */
  readonly noncurrentVersionsExpireAfter: Duration;
}

export const DEFAULT_ARTIFACT_LIFECYCLE: ArtifactLifecycle = {
  abortIncompleteUploadsAfter: Duration.days(1),
  expireUploadsAfter: Duration.days(2),
  noncurrentVersionsExpireAfter: Duration.days(30),
};

/** Settings every bucket of the platform shares: private, encrypted, TLS only, owner-enforced. */
function secureBucketProps(): BucketProps {
  return {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}

/**
 * The artifact bucket: versioned, with lifecycle rules for noncurrent versions and stale
 * uploads. RETAIN in every stage: CloudFormation cannot delete a non-empty bucket, and
 * model artifacts are the platform's data.
 */
export function artifactBucketProps(lifecycle: ArtifactLifecycle = DEFAULT_ARTIFACT_LIFECYCLE): BucketProps {
  return {
    ...secureBucketProps(),
    versioned: true,
    lifecycleRules: artifactLifecycleRules(lifecycle),
  };
}

export function artifactLifecycleRules(lifecycle: ArtifactLifecycle): LifecycleRule[] {
  return [
    {
      id: 'abort-incomplete-multipart-uploads',
      abortIncompleteMultipartUploadAfter: lifecycle.abortIncompleteUploadsAfter,
    },
    {
      id: 'expire-stale-uploads',
      prefix: UPLOADS_PREFIX,
      expiration: lifecycle.expireUploadsAfter,
      noncurrentVersionExpiration: Duration.days(1),
    },
    {
      id: 'expire-noncurrent-versions',
      noncurrentVersionExpiration: lifecycle.noncurrentVersionsExpireAfter,
      expiredObjectDeleteMarker: true,
    },
  ];
}

/**
 * The server access log bucket. Access logs require SSE-S3; they expire after `retention`.
 */
export function accessLogBucketProps(retention: Duration = Duration.days(90)): BucketProps {
  return {
    ...secureBucketProps(),
    // S3 log delivery writes with the bucket-owner-enforced setting through the bucket policy CDK adds.
    lifecycleRules: [{ id: 'expire-access-logs', expiration: retention }],
  };
}
