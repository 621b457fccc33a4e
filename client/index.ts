/**
 * The typed client of Infergate, used by the `infergate` CLI, the end-to-end tests and
 * any Node program that calls the platform.
 *
 * @example
 * import { InfergateClient, InfergateApiError } from 'infergate';
 *
 * const admin = new InfergateClient({ url: 'http://127.0.0.1:8787', apiKey: adminKey });
 * const version = await admin.registerModel('iris', 'models/iris.onnx', { visibility: 'public' });
 * await admin.setAlias('iris', 'prod', version.version);
 */
export { InfergateClient } from './infergate-client';
export { InfergateApiError, InfergateClientError, InfergateNetworkError } from './errors';
export type {
  AdminUsageQuery,
  ArtifactSource,
  HealthStatus,
  InferData,
  InferInputTensor,
  InferParameters,
  InferRequest,
  InferValue,
  InfergateClientOptions,
  RegisterModelOptions,
  ServerMetadata,
  UploadProgress,
  UploadProgressListener,
} from './types';
export type {
  CreateKeyRequest,
  CreateModelRequest,
  CreateTenantRequest,
  CreateUploadRequest,
  CreateVersionRequest,
  CreatedKey,
  RotateKeyRequest,
  RotatedKey,
  UploadTicket,
} from '../functions/api/schemas';
export type {
  ErrorBody,
  InferResponse,
  KeyList,
  KeySummary,
  ModelDetail,
  ModelList,
  ModelMetadata,
  TenantList,
  TenantModelList,
  TenantModelView,
  UsageReport,
  UsageTotals,
  VersionList,
} from '../functions/api/views';
export type {
  Alias,
  Model,
  ModelVersion,
  Scope,
  Tenant,
  Tier,
  Visibility,
} from '../functions/core/registry/types';
export type { UsageRow } from '../functions/core/metering/types';
