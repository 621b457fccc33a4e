/**
 * The DynamoDB adapter: the single-table design, the registry and usage stores built on it,
 * the document client they share, table creation for the local platform and tests, and the
 * translation of DynamoDB errors into the platform's errors.
 */
export {
  TABLE_DESIGN,
  ENTITY_TYPE_ATTRIBUTE,
  type GsiDesign,
  type GsiProjection,
  type TableDesign,
} from './table-design';
export { createTable, createTableInput, type CreateTableOptions } from './create-table';
export {
  createDocumentClient,
  resolveDocumentClient,
  TRANSLATE_CONFIG,
  type DocumentClientOptions,
  type DynamoStoreOptions,
} from './client';
export {
  isConditionalCheckFailed,
  isNetworkError,
  isStoreUnavailable,
  translateDynamoError,
  withDynamoErrors,
  type ConflictDescription,
} from './errors';
export { DynamoRegistryStore } from './registry-store';
export { DynamoUsageStore, type DynamoUsageStoreOptions } from './usage-store';
export { DynamoLimitStore, type DynamoLimitStoreOptions } from './limit-store';
export { dayItemKey, LIMIT_ITEM_SORT_KEY_PREFIX } from './month-item';
