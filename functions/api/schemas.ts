import { z } from 'zod';
import { SCOPES, TIERS } from '../core/registry/types';

/**
 * Request bodies of the control plane (admin API), shared by the server that validates
 * them and the typed client that sends them.
 */

/** Model names and aliases: URL-safe, no path separators, at most 64 characters. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const modelNameSchema = z
  .string()
  .regex(
    NAME_PATTERN,
    'must be 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit',
  );

export const createTenantSchema = z.strictObject({
  name: z.string().trim().min(1).max(128),
  plan: z.string().min(1).max(64).optional(),
});
export type CreateTenantRequest = z.infer<typeof createTenantSchema>;

export const createKeySchema = z.strictObject({
  tenantId: z.string().min(1).max(64),
  scopes: z.array(z.enum(SCOPES)).min(1).optional(),
  /** ISO 8601 date-time; the key stops working at this instant. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  name: z.string().max(128).optional(),
});
export type CreateKeyRequest = z.infer<typeof createKeySchema>;

/** The longest overlap of a rotation: the old key works at most this long after it. */
export const MAX_ROTATION_OVERLAP_SECONDS = 30 * 24 * 3600;
/** How long the old key keeps working after a rotation unless the request says otherwise. */
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 3600;

export const rotateKeySchema = z.strictObject({
  /** How long the old key keeps working, in seconds (never longer than it would have). */
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_ROTATION_OVERLAP_SECONDS)
    .default(DEFAULT_ROTATION_OVERLAP_SECONDS),
  /** ISO 8601 date-time when the new key stops working; by default it does not expire. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type RotateKeyRequest = z.input<typeof rotateKeySchema>;

export const createUploadSchema = z.strictObject({
  /** Size the client will upload, checked against the artifact limit. */
  size: z.number().int().positive().optional(),
});
export type CreateUploadRequest = z.infer<typeof createUploadSchema>;

export const createModelSchema = z.strictObject({
  name: modelNameSchema,
  visibility: z.enum(['public', 'private']),
  /** Required for private models: the tenant that may use it. */
  ownerTenantId: z.string().min(1).max(64).optional(),
  description: z.string().max(1024).optional(),
});
export type CreateModelRequest = z.infer<typeof createModelSchema>;

export const createVersionSchema = z.strictObject({
  uploadId: z.string().regex(/^[a-z0-9]{16,64}$/, 'must be an upload id returned by POST /admin/uploads'),
  tier: z.enum(TIERS).default('lambda'),
});
export type CreateVersionRequest = z.input<typeof createVersionSchema>;

export const putAliasSchema = z.strictObject({
  version: z.string().regex(/^[1-9][0-9]{0,8}$/, 'must be a version number'),
});
export type PutAliasRequest = z.infer<typeof putAliasSchema>;

export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM');

/** Response of `POST /admin/keys`: the only time the key is shown. */
export interface CreatedKey {
  readonly key: string;
  readonly keyId: string;
  readonly tenantId: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt?: string;
}

/** Response of `POST /admin/keys/{keyId}/rotate`: the new key, shown this once. */
export interface RotatedKey extends CreatedKey {
  readonly name?: string;
  /** The key it replaces, and the instant that key stops working. */
  readonly replaced: { readonly keyId: string; readonly expiresAt: string };
}

/** Response of `POST /admin/uploads`. */
export interface UploadTicket {
  readonly uploadId: string;
  readonly url: string;
  readonly method: 'PUT';
  readonly expiresAt: string;
}
