import type { TensorSpec } from '../tensors/datatypes';

/** What a key may do. `admin` implies every other scope. */
export const SCOPES = ['infer', 'models:read', 'usage:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Where a model version runs. */
export const TIERS = ['lambda', 'sagemaker'] as const;
export type Tier = (typeof TIERS)[number];

export interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  readonly plan: string;
  readonly createdAt: string;
}

/** A stored API key: only the SHA-256 of the full key is kept. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  /** Hex SHA-256 of the whole key string. */
  readonly hash: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
  readonly name?: string;
}

export type Visibility = 'public' | 'private';

export interface Model {
  readonly name: string;
  readonly visibility: Visibility;
  /** Owner of a private model; absent for public models. */
  readonly ownerTenantId?: string;
  readonly description?: string;
  readonly createdAt: string;
  /** Highest version number allocated so far (0 before the first version). */
  readonly latestVersion: number;
}

/** Where a version's bytes live: content-addressed by SHA-256. */
export interface ArtifactRef {
  readonly sha256: string;
  readonly size: number;
  /** Object key in the artifact store, e.g. `artifacts/sha256/<hex>.onnx`. */
  readonly key: string;
}

/** An immutable, registered version of a model. */
export interface ModelVersion {
  readonly modelName: string;
  /** Decimal version number as a string ("1", "2", ...), as the OIP expects. */
  readonly version: string;
  readonly tier: Tier;
  readonly artifact: ArtifactRef;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly opset?: number;
  readonly createdAt: string;
  /** SageMaker endpoint name serving this version (tier `sagemaker`). */
  readonly endpointName?: string;
}

/** A named pointer to a version (`prod` is the default alias). */
export interface Alias {
  readonly modelName: string;
  readonly alias: string;
  readonly version: string;
  readonly updatedAt: string;
}

export const DEFAULT_ALIAS = 'prod';
