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
  UsageReportFormat,
} from './types';
export type {
  CreateKeyRequest,
  CreateModelRequest,
  CreatePlanRequest,
  CreateTenantRequest,
  CreateUploadRequest,
  CreateVersionRequest,
  CreatedKey,
  PipelineRequest,
  PipelineSpec,
  PutAliasRequest,
  RotateKeyRequest,
  RotatedKey,
  SetTenantPlanRequest,
  UpdatePlanRequest,
  UploadTicket,
} from '../functions/api/schemas';
export type {
  BillingLine,
  ClassificationPrediction,
  BillingReport,
  BillingTotal,
  DailyUsage,
  ErrorBody,
  InferResponse,
  KeyList,
  KeySummary,
  ModelDetail,
  ModelList,
  ModelMetadata,
  PlanChangeList,
  PlanList,
  Prediction,
  TenantList,
  TenantModelList,
  TenantModelView,
  TenantBill,
  TenantUsageReport,
  UsageCharges,
  UsageReport,
  UsageTotals,
  TextPrediction,
  VersionList,
} from '../functions/api/views';
export type {
  Alias,
  AliasHistoryEntry,
  AliasRoute,
  AliasTarget,
  Model,
  ModelVersion,
  Plan,
  PlanChange,
  Price,
  Scope,
  Tenant,
  Tier,
  Visibility,
} from '../functions/core/registry/types';
export type { UsageRow } from '../functions/core/metering/types';
