import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  paginateQuery,
  type QueryCommandInput,
  type TranslateConfig,
} from '@aws-sdk/lib-dynamodb';
import { withDynamoErrors } from './errors';

/**
 * Either an SDK client to reuse (tests, the local platform, a composition root sharing one
 * client between stores) or a configuration for a new one; never both.
 */
export type DocumentClientOptions =
  | { readonly client?: DynamoDBClient; readonly clientConfig?: never }
  | { readonly client?: never; readonly clientConfig?: DynamoDBClientConfig };

/**
 * How domain objects become items: `undefined` optional fields are left out rather than
 * rejected, empty strings stay strings (DynamoDB accepts them outside keys), class instances
 * are refused so that only plain data reaches the table, and numbers come back as numbers.
 */
export const TRANSLATE_CONFIG: TranslateConfig = {
  marshallOptions: {
    removeUndefinedValues: true,
    convertEmptyValues: false,
    convertClassInstanceToMap: false,
  },
  unmarshallOptions: { wrapNumbers: false },
};

/**
 * A document client over the given SDK client, or over a new one made from `clientConfig`
 * (the default credential chain and region) when no client is given.
 *
 * @example
 * const documentClient = createDocumentClient({ clientConfig: { endpoint: process.env[ENV.DYNAMODB_ENDPOINT] } });
 */
export function createDocumentClient(options: DocumentClientOptions = {}): DynamoDBDocumentClient {
  const client = options.client ?? new DynamoDBClient(options.clientConfig ?? {});
  return DynamoDBDocumentClient.from(client, TRANSLATE_CONFIG);
}

/** Constructor options shared by the DynamoDB stores. */
export type DynamoStoreOptions = {
  /** Name of the table built from `TABLE_DESIGN`. */
  readonly tableName: string;
  /**
   * Items per Query page (DynamoDB's `Limit`); lists always follow every page.
   * @default undefined (pages of up to 1 MB)
   */
  readonly pageSize?: number;
} & (
  | { readonly client?: DynamoDBDocumentClient; readonly clientConfig?: never }
  | { readonly client?: never; readonly clientConfig?: DynamoDBClientConfig }
);

/** The store's document client: the one given, or a new one made from `clientConfig`. */
export function resolveDocumentClient(options: DynamoStoreOptions): DynamoDBDocumentClient {
  return options.client ?? createDocumentClient({ clientConfig: options.clientConfig });
}

/** Checks the options every store takes, naming the one that is wrong. */
export function checkStoreOptions(options: DynamoStoreOptions): void {
  if (options.tableName === '') throw new TypeError('options.tableName must be a table name');
  if (options.pageSize !== undefined && !(Number.isInteger(options.pageSize) && options.pageSize > 0)) {
    throw new RangeError(`options.pageSize must be a positive integer, got ${options.pageSize}`);
  }
}

/** Every item of a Query, following every page; SDK errors translated. */
export async function queryAll(
  client: DynamoDBDocumentClient,
  pageSize: number | undefined,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  return withDynamoErrors(async () => {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateQuery({ client, pageSize }, input)) {
      items.push(...(page.Items ?? []));
    }
    return items;
  });
}
