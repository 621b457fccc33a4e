import { type Duration, Validations } from 'aws-cdk-lib';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import {
  accessLogBucketProps,
  ARTIFACTS_PREFIX,
  type ArtifactLifecycle,
  artifactBucketProps,
  DEFAULT_ARTIFACT_LIFECYCLE,
  UPLOADS_PREFIX,
} from '../s3-defaults';
import { acknowledgeGrant, nagArn } from '../nag';
import { Problems } from '../validation';

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
 * uploads under `uploads/`, SageMaker model repositories under `sagemaker/`) and its server
 * access log bucket. Access is granted by prefix only.
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

  /** Read access to exactly one object (a SageMaker model's `model.tar.gz`). */
  public grantReadObject(grantee: IGrantable, key: string): Grant {
    const grant = this.bucket.grantRead(grantee, key);
    this.acknowledgeRead(grantee);
    return grant;
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

function days(duration: Duration): number {
  return duration.toDays({ integral: false });
}
