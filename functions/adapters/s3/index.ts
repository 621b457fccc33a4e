/**
 * The S3 adapter: the artifact store (model artifacts and presigned uploads) and the
 * translation of S3 errors into the platform's errors.
 */
export { S3ArtifactStore, type S3ArtifactStoreOptions } from './s3-artifact-store';
export { isArtifactStoreUnavailable, isMissingObject, translateS3Error } from './errors';
