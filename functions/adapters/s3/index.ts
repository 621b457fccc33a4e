/**
 * The S3 adapter: the artifact store (model artifacts and presigned uploads), the spill of
 * usage writes, and the translation of S3 errors into the platform's errors.
 */
export { S3ArtifactStore, type S3ArtifactStoreOptions } from './s3-artifact-store';
export { S3UsageSpill, type S3UsageSpillOptions, USAGE_SPILL_PREFIX } from './s3-usage-spill';
export { isArtifactStoreUnavailable, isMissingObject, translateS3Error } from './errors';
