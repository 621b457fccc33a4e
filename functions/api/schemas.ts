import { z } from 'zod';
import { MAX_BODY_BYTES } from '../constants';
import { SCOPES, TIERS } from '../core/registry/types';
import { NAME_PATTERN, NAME_RULE, pipelineSchema } from './pipeline-schemas';

/**
 * Request bodies of the control plane (admin API), shared by the server that validates
 * them and the typed client that sends them.
 */

export { NAME_PATTERN } from './pipeline-schemas';

/** Model names and aliases: URL-safe, no path separators, at most 64 characters. */
export const modelNameSchema = z.string().regex(NAME_PATTERN, NAME_RULE);

/** Plan ids follow the rules of model names (`free`, `pro`, `enterprise`, ...). */
export const planIdSchema = modelNameSchema;

export const createTenantSchema = z.strictObject({
  name: z.string().trim().min(1).max(128),
  /** The tenant's plan; `free` when absent. */
  plan: planIdSchema.optional(),
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

export {
  IMAGE_FORMATS,
  MAX_IMAGE_PIXELS,
  MAX_PIPELINE_TENSOR_PIXELS,
  MAX_PIPELINE_CLASSES,
  imageInputSchema,
  classificationOutputSchema,
  ctcOutputSchema,
  orientationSchema,
  pipelineSchema,
  predictRequestSchema,
  type PipelineSpec,
  type PipelineRequest,
  type ImageInputSpec,
  type ImageResizeSpec,
  type ImageNormalizeSpec,
  type ImageFormat,
  type ClassificationOutputSpec,
  type CtcOutputSpec,
  type OrientationSpec,
  type PredictRequest,
} from './pipeline-schemas';

export const createVersionSchema = z.strictObject({
  uploadId: z.string().regex(/^[a-z0-9]{16,64}$/, 'must be an upload id returned by POST /admin/uploads'),
  tier: z.enum(TIERS).default('lambda'),
  /** Pre- and post-processing for `POST /v1/models/{name}/predict`; checked against the model's inputs and outputs. */
  pipeline: z.optional(pipelineSchema),
  /**
   * An existing version of the model to compare the new one with (e.g. the fp32 original of
   * an int8 version): both run the same generated inputs and the agreement is recorded.
   */
  baseline: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'must be a version number')
    .optional(),
  /** Tier `sagemaker`: the GPU endpoint (catalog name) to serve the version; the only one when absent. */
  endpoint: z
    .string()
    .regex(/^[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}$/, 'must be a GPU endpoint name such as "ocr-rec"')
    .optional(),
});
export type CreateVersionRequest = z.input<typeof createVersionSchema>;

const versionNumberSchema = z.string().regex(/^[1-9][0-9]{0,8}$/, 'must be a version number');

/**
 * `PUT /admin/models/{name}/aliases/{alias}`: one version, or weighted routes (a canary).
 * Only the shape is checked here; the weights (positive integers summing to 100, at most
 * `MAX_ALIAS_ROUTES` distinct versions) are checked by the service, as `invalid_routes`.
 */
export const putAliasSchema = z
  .strictObject({
    /** Every request goes to this version. */
    version: versionNumberSchema.optional(),
    /** Each request goes to one of these versions, with probability weight / 100. */
    routes: z
      .array(
        z.strictObject({
          version: versionNumberSchema,
          weight: z.number().meta({ description: 'percent of requests: an integer from 1 to 100' }),
        }),
      )
      .optional(),
    /** Apply the change only if the alias is still at this revision (0: it does not exist yet). */
    expectedRevision: z.number().int().min(0).optional(),
  })
  .refine((body) => (body.version === undefined) !== (body.routes === undefined), {
    message: 'give either "version" or "routes" (not both)',
  });
export type PutAliasRequest = z.input<typeof putAliasSchema>;

export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM');

/**
 * A price: a plain decimal string with at most 6 decimals (`"0.40"`, `"12"`, `"0.000125"`),
 * never a JSON number (money is not a binary float), no sign, no exponent.
 */
export const PRICE_PATTERN = /^(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$/;
/** The most model names a plan may list, and the most per-model prices it may hold. */
export const MAX_PLAN_MODELS = 100;

const decimalPriceSchema = z
  .string({ error: 'must be a decimal string such as "0.40", not a number' })
  .regex(
    PRICE_PATTERN,
    'must be a decimal string such as "0.40": digits, at most 6 decimals, no sign or exponent',
  );

export const priceSchema = z.strictObject({
  perThousandRequests: decimalPriceSchema,
  perComputeSecond: decimalPriceSchema,
});

export const rateLimitSchema = z.strictObject({
  /** Sustained rate; may be fractional (0.5 = one request every 2 s). */
  requestsPerSecond: z.number().positive().max(1_000_000),
  /** Requests that may arrive at once above the sustained rate's share. */
  burst: z.number().int().min(1).max(10_000_000),
});

const distinct = (values: readonly unknown[]): boolean => new Set(values).size === values.length;

const planFieldSchemas = {
  description: z.string().max(1024),
  /** Successful requests per calendar month (UTC). */
  monthlyQuota: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  rateLimit: rateLimitSchema,
  allowedTiers: z.array(z.enum(TIERS)).min(1).refine(distinct, 'must not name a tier twice'),
  allowedModels: z
    .array(modelNameSchema)
    .min(1, 'must name at least one model (leave it out to allow every model)')
    .max(MAX_PLAN_MODELS)
    .refine(distinct, 'must not name a model twice'),
  maxPayloadBytes: z.number().int().min(1).max(MAX_BODY_BYTES),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code of 3 capital letters such as "USD"'),
};

/** Zod's own message for a bad record key does not say what a key must be. */
const modelNameKeys = {
  error: (issue: { code?: string }) =>
    issue.code === 'invalid_key'
      ? 'must be a model name: 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit'
      : undefined,
};

const modelPricesSchema = z
  .record(modelNameSchema, priceSchema, modelNameKeys)
  .refine(
    (prices) => Object.keys(prices).length <= MAX_PLAN_MODELS,
    `may price at most ${MAX_PLAN_MODELS} models`,
  );

/** Prices of every tier, and optional overrides per model name. */
export const planPricesSchema = z.strictObject({
  tiers: z.strictObject({ lambda: priceSchema, sagemaker: priceSchema }),
  models: modelPricesSchema.optional(),
});

/** `POST /admin/plans`. Absent limits mean unlimited. */
export const createPlanSchema = z.strictObject({
  planId: planIdSchema,
  description: planFieldSchemas.description.optional(),
  monthlyQuota: planFieldSchemas.monthlyQuota.optional(),
  rateLimit: planFieldSchemas.rateLimit.optional(),
  allowedTiers: planFieldSchemas.allowedTiers.default([...TIERS]),
  allowedModels: planFieldSchemas.allowedModels.optional(),
  maxPayloadBytes: planFieldSchemas.maxPayloadBytes.default(MAX_BODY_BYTES),
  currency: planFieldSchemas.currency.default('USD'),
  prices: planPricesSchema,
});
export type CreatePlanRequest = z.input<typeof createPlanSchema>;

/**
 * `PATCH /admin/plans/{planId}`: a JSON merge patch (RFC 7396) of the plan. Fields present
 * replace the plan's; `null` removes an optional field (`monthlyQuota`, `rateLimit`,
 * `allowedModels`, `description`: unlimited or every model again, or one model's price);
 * objects (`rateLimit`, `prices`) merge member by member. The plan as it results must be valid.
 */
export const updatePlanSchema = z
  .strictObject({
    description: planFieldSchemas.description.nullable().optional(),
    monthlyQuota: planFieldSchemas.monthlyQuota.nullable().optional(),
    rateLimit: rateLimitSchema.partial().nullable().optional(),
    allowedTiers: planFieldSchemas.allowedTiers.optional(),
    allowedModels: planFieldSchemas.allowedModels.nullable().optional(),
    maxPayloadBytes: planFieldSchemas.maxPayloadBytes.optional(),
    currency: planFieldSchemas.currency.optional(),
    prices: z
      .strictObject({
        tiers: z
          .strictObject({
            lambda: priceSchema.partial().optional(),
            sagemaker: priceSchema.partial().optional(),
          })
          .optional(),
        models: z
          .record(modelNameSchema, priceSchema.partial().nullable(), modelNameKeys)
          .nullable()
          .optional(),
      })
      .optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one field to change');
export type UpdatePlanRequest = z.input<typeof updatePlanSchema>;

/**
 * A whole plan as it is stored: what the plan service checks after every change. Per-model
 * prices of a plan that lists its models must name listed models.
 */
export const planSchema = z
  .strictObject({
    planId: planIdSchema,
    description: planFieldSchemas.description.optional(),
    monthlyQuota: planFieldSchemas.monthlyQuota.optional(),
    rateLimit: planFieldSchemas.rateLimit.optional(),
    allowedTiers: planFieldSchemas.allowedTiers,
    allowedModels: planFieldSchemas.allowedModels.optional(),
    maxPayloadBytes: planFieldSchemas.maxPayloadBytes,
    currency: planFieldSchemas.currency,
    prices: planPricesSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .superRefine((plan, context) => {
    const allowed = plan.allowedModels;
    if (allowed === undefined) return;
    for (const name of Object.keys(plan.prices.models ?? {})) {
      if (!allowed.includes(name)) {
        context.addIssue({
          code: 'custom',
          path: ['prices', 'models', name],
          message: `prices model "${name}", which allowedModels does not list`,
        });
      }
    }
  });

/** `PUT /admin/tenants/{tenantId}/plan`. */
export const setTenantPlanSchema = z.strictObject({ plan: planIdSchema });
export type SetTenantPlanRequest = z.infer<typeof setTenantPlanSchema>;

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
