/**
 * The single-table design of the Infergate table, as data. The CDK stack (`infra/`) and
 * `createTable()` (local platform, tests) both build the table from this object, so the
 * table in AWS and the embedded one cannot drift apart.
 *
 * Every key attribute is a string. Item layouts (which prefixes go into which key) are
 * described in `docs/architecture.md` (Table design and access patterns) and implemented by the stores in this folder.
 *
 * @example
 * // CDK
 * new dynamodb.TableV2(this, 'Table', {
 *   partitionKey: { name: TABLE_DESIGN.partitionKey, type: dynamodb.AttributeType.STRING },
 *   sortKey: { name: TABLE_DESIGN.sortKey, type: dynamodb.AttributeType.STRING },
 *   timeToLiveAttribute: TABLE_DESIGN.timeToLiveAttribute,
 *   globalSecondaryIndexes: Object.values(TABLE_DESIGN.globalSecondaryIndexes).map((gsi) => ({
 *     indexName: gsi.indexName,
 *     partitionKey: { name: gsi.partitionKey, type: dynamodb.AttributeType.STRING },
 *     sortKey: { name: gsi.sortKey, type: dynamodb.AttributeType.STRING },
 *     projectionType: dynamodb.ProjectionType[gsi.projection],
 *   })),
 * });
 */

/** How much of an item a global secondary index copies (same spelling as CDK's `ProjectionType`). */
export type GsiProjection = 'ALL' | 'KEYS_ONLY';

/** A global secondary index: its name, its (string) key attributes and its projection. */
export interface GsiDesign {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection: GsiProjection;
}

/** The whole table: key attributes, indexes, TTL attribute and billing. */
export interface TableDesign {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly globalSecondaryIndexes: {
    /**
     * Listings without Scan: every tenant, every model (partition per entity type) and the
     * keys of one tenant. Projects every attribute, so a listing is one Query per page.
     */
    readonly listing: GsiDesign;
    /**
     * Usage counters of one month across all tenants. Keys only: a counter update then never
     * writes the index (no projected attribute changes), so metering costs one table write.
     */
    readonly usageByMonth: GsiDesign;
  };
  /** Number attribute (epoch seconds) after which DynamoDB deletes an item, e.g. pending uploads. */
  readonly timeToLiveAttribute: string;
  readonly billingMode: 'PAY_PER_REQUEST';
}

/** The Infergate table. */
export const TABLE_DESIGN: TableDesign = {
  partitionKey: 'pk',
  sortKey: 'sk',
  globalSecondaryIndexes: {
    listing: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
    usageByMonth: { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'KEYS_ONLY' },
  },
  timeToLiveAttribute: 'expiresAt',
  billingMode: 'PAY_PER_REQUEST',
};

/** Attribute naming an item's entity type (`TENANT`, `KEY`, `MODEL`, ...), for humans and exports. */
export const ENTITY_TYPE_ATTRIBUTE = 'entity';

/**
 * Partition keys of usage counter items start with this. The inference function may
 * write only such items (an IAM condition on `dynamodb:LeadingKeys`).
 */
export const USAGE_KEY_PREFIX = 'USAGE#';
