/**
 * Port of the artifact store (S3 in AWS, the local S3-compatible server in dev).
 */
export interface ArtifactStore {
  /** Reads a whole object; throws `NotFoundError` (code `artifact_not_found`) when it is missing. */
  get(key: string): Promise<Uint8Array>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Size of an object, or undefined when it does not exist. */
  head(key: string): Promise<{ size: number } | undefined>;
  delete(key: string): Promise<void>;
  /** A URL that accepts one `PUT` of the object's bytes until it expires. */
  createUploadUrl(key: string, expiresInSeconds: number): Promise<string>;
}

/** Object key of a content-addressed artifact. */
export function artifactKey(sha256: string): string {
  return `artifacts/sha256/${sha256}.onnx`;
}

/** Object key of a pending upload. */
export function uploadKey(uploadId: string): string {
  return `uploads/${uploadId}`;
}
