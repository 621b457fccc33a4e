import { type Duration, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { USAGE_SPILL_PREFIX } from '../../functions/constants';
import {
  accessLogBucketProps,
  ARTIFACTS_PREFIX,
  type ArtifactLifecycle,
  artifactBucketProps,
  DEFAULT_ARTIFACT_LIFECYCLE,
  SAGEMAKER_PREFIX,
  UPLOADS_PREFIX,
} from '../s3-defaults';
import { acknowledgeGrant, nagArn } from '../nag';
import { Problems } from '../validation';

/** Why the object grants on the usage spill name a prefix, not objects. */
const SPILL_OBJECTS_REASON = `Each spilled usage write is its own object under ${USAGE_SPILL_PREFIX}, named by a writer id and number made at run time; the grants cover that prefix only (put for the data plane, list, read and delete for the replay).`;

export interface ArtifactBucketProps {
  /**
   * Lifecycle of uploads and old versions.
   * @default DEFAULT_ARTIFACT_LIFECYCLE (abort multipart after 1 day, stale uploads after 2, old versions after 30)
   */
  readonly lifecycle?: ArtifactLifecycle;
  /**
   * How long server access logs are kept.
   * @default 90 days
   */
  readonly accessLogRetention?: Duration;
}

/**
 * The model artifact bucket (content-addressed ONNX files under `artifacts/`, pending
 * uploads under `uploads/`, SageMaker model repositories under `sagemaker/`, usage writes
 * waiting for the replay under `spill/usage/`) and its server access log bucket. Access is
 * granted by prefix only.
 */
export class ArtifactBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogBucket: Bucket;

  public constructor(scope: Construct, id: string, props: ArtifactBucketProps = {}) {
    super(scope, id);
    // Both buckets enforce bucket ownership, which disables ACLs: log delivery must be
    // granted by bucket policy (this flag), not by the LogDeliveryWrite ACL.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const lifecycle = props.lifecycle ?? DEFAULT_ARTIFACT_LIFECYCLE;
    const problems = new Problems(`ArtifactBucket ${id} props`);
    problems.check(
      days(lifecycle.abortIncompleteUploadsAfter) >= 1,
      'lifecycle.abortIncompleteUploadsAfter must be at least 1 day',
    );
    problems.check(
      days(lifecycle.expireUploadsAfter) >= days(lifecycle.abortIncompleteUploadsAfter),
      'lifecycle.expireUploadsAfter must not be shorter than abortIncompleteUploadsAfter',
    );
    problems.check(
      days(lifecycle.noncurrentVersionsExpireAfter) >= 1,
      'lifecycle.noncurrentVersionsExpireAfter must be at least 1 day',
    );
    problems.throwIfAny();

    this.accessLogBucket = new Bucket(this, 'AccessLogs', accessLogBucketProps(props.accessLogRetention));
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log bucket of the artifact bucket; logging it into itself would log its own log deliveries without end, and no other bucket exists in the stack to receive them.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      ...artifactBucketProps(lifecycle),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'artifact-bucket/',
    });
  }

  /** Read access to registered artifacts only (`artifacts/*`): the inference function. */
  public grantReadArtifacts(grantee: IGrantable): Grant {
    const grant = this.bucket.grantRead(grantee, `${ARTIFACTS_PREFIX}*`);
    this.acknowledgeRead(grantee);
    acknowledgeGrant(
      grantee,
      `Resource::${nagArn(this.bucket)}/${ARTIFACTS_PREFIX}*`,
      'Registered model artifacts are content-addressed objects under artifacts/ whose names are only known at run time (sha256); the grant covers that prefix and no other.',
    );
    return grant;
  }

  /**
   * Read and write access to `uploads/*` and `artifacts/*`: the admin function, which
   * presigns uploads, verifies them and moves them to their content address.
   */
  public grantManageArtifacts(grantee: IGrantable): Grant[] {
    const grants = [
      this.bucket.grantReadWrite(grantee, `${UPLOADS_PREFIX}*`),
      this.bucket.grantReadWrite(grantee, `${ARTIFACTS_PREFIX}*`),
    ];
    this.acknowledgeRead(grantee);
    for (const prefix of [UPLOADS_PREFIX, ARTIFACTS_PREFIX]) {
      acknowledgeGrant(
        grantee,
        `Resource::${nagArn(this.bucket)}/${prefix}*`,
        `The control plane creates, verifies and moves objects under ${prefix} (upload ids and sha256 names are generated at run time); the grant covers that prefix only.`,
      );
    }
    acknowledgeGrant(
      grantee,
      'Action::s3:DeleteObject*',
      'The control plane deletes an upload once it is registered (DeleteObject, and DeleteObjectVersion on this versioned bucket), limited to uploads/ and artifacts/.',
    );
    acknowledgeGrant(
      grantee,
      'Action::s3:Abort*',
      'Presigned uploads may be multipart; s3:AbortMultipartUpload lets the control plane clean up an abandoned one under uploads/ or artifacts/.',
    );
    return grants;
  }

  /**
   * Read access to one GPU endpoint's model archives (`sagemaker/<endpoint>/*`): that
   * endpoint's SageMaker execution role, which loads them by name on first use.
   */
  public grantReadEndpointModels(grantee: IGrantable, prefix: string): Grant {
    checkEndpointPrefix(prefix);
    const grant = this.bucket.grantRead(grantee, `${prefix}*`);
    this.acknowledgeRead(grantee);
    acknowledgeGrant(
      grantee,
      `Resource::${nagArn(this.bucket)}/${prefix}*`,
      `A multi-model endpoint loads any archive registered to it; archives are content-addressed objects under ${prefix} whose names are only known at run time, and the grant covers that one endpoint's prefix.`,
    );
    return grant;
  }

  /**
   * Read and write access to the GPU endpoints' model archives: the admin function, which
   * stores an archive at registration and removes it when the registration fails.
   */
  public grantManageEndpointModels(grantee: IGrantable, prefixes: readonly string[]): Grant[] {
    return prefixes.map((prefix) => {
      checkEndpointPrefix(prefix);
      const grant = this.bucket.grantReadWrite(grantee, `${prefix}*`);
      acknowledgeGrant(
        grantee,
        `Resource::${nagArn(this.bucket)}/${prefix}*`,
        `The control plane stores registered models' Triton archives under ${prefix} by content address (sha256 names made at run time); the grant covers that endpoint's prefix only.`,
      );
      return grant;
    });
  }

  /**
   * `s3:PutObject` on spilled usage writes only (`spill/usage/*`): the inference function,
   * which keeps there the usage it could not write to the table.
   */
  public grantSpillUsage(grantee: IGrantable): Grant {
    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.bucket.arnForObjects(`${USAGE_SPILL_PREFIX}*`)],
    });
    acknowledgeGrant(
      grantee,
      `Resource::${nagArn(this.bucket)}/${USAGE_SPILL_PREFIX}*`,
      SPILL_OBJECTS_REASON,
    );
    return grant;
  }

  /**
   * Listing (prefix `spill/usage/` only), reading and deleting spilled usage writes: the
   * usage replay function.
   */
  public grantReplayUsageSpill(grantee: IGrantable): Grant {
    const list = Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${USAGE_SPILL_PREFIX}*`] } },
    });
    const objects = Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:DeleteObject'],
      resourceArns: [this.bucket.arnForObjects(`${USAGE_SPILL_PREFIX}*`)],
    });
    acknowledgeGrant(
      grantee,
      `Resource::${nagArn(this.bucket)}/${USAGE_SPILL_PREFIX}*`,
      SPILL_OBJECTS_REASON,
    );
    return list.combine(objects);
  }

  /** The action wildcards of `grantRead`, which every reader of this bucket gets. */
  private acknowledgeRead(grantee: IGrantable): void {
    acknowledgeGrant(
      grantee,
      'Action::s3:GetObject*',
      'GetObject* (GetObject, GetObjectVersion, their attributes and tags) is granted on the prefixes or object this principal reads, never on the whole bucket.',
    );
    acknowledgeGrant(
      grantee,
      'Action::s3:GetBucket*',
      'GetBucket* reads bucket-level settings (location, versioning) that the SDK may query; it grants no object data.',
    );
    acknowledgeGrant(
      grantee,
      'Action::s3:List*',
      'With s3:ListBucket a missing object reads as 404 instead of 403, which the platform reports as artifact_not_found; listing reveals object names (sha256 digests), not contents.',
    );
  }
}

/** Endpoint prefixes are `sagemaker/<name>/`: never the bucket, never another prefix. */
function checkEndpointPrefix(prefix: string): void {
  if (!prefix.startsWith(SAGEMAKER_PREFIX) || !/^sagemaker\/[a-z0-9-]+\/$/.test(prefix)) {
    throw new Error(`an endpoint prefix looks like ${SAGEMAKER_PREFIX}<name>/, got ${prefix}`);
  }
}

function days(duration: Duration): number {
  return duration.toDays({ integral: false });
}
