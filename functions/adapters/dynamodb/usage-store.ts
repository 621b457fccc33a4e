import { randomBytes } from 'node:crypto';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '../../core/errors';
import type { UsageEvent, UsageRow, UsageStore } from '../../core/metering/types';
import { checkStoreOptions, type DynamoStoreOptions, queryAll, resolveDocumentClient } from './client';
import { isConditionalCheckFailed, withDynamoErrors } from './errors';
import { ENTITY_TYPE_ATTRIBUTE, TABLE_DESIGN, USAGE_KEY_PREFIX } from './table-design';

type Item = Record<string, unknown>;

const { partitionKey: PK, sortKey: SK } = TABLE_DESIGN;
const BY_MONTH = TABLE_DESIGN.globalSecondaryIndexes.usageByMonth;
const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/** BatchGetItem reads at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
/** Rounds of retrying keys DynamoDB left unprocessed before giving up with 503. */
const UNPROCESSED_RETRIES = 6;

const COUNTERS = ['requests', 'errors', 'computeMs', 'inputBytes', 'outputBytes'] as const;

/** Keys of the counter item of one tenant, model version, UTC day and writer. */
function usageKeys(tenantId: string, day: string, modelName: string, version: string, writer: string): Item {
  const month = day.slice(0, 7);
  return {
    [PK]: `${USAGE_KEY_PREFIX}${tenantId}#${month}`,
    [SK]: `${day}#${modelName}#${version}#${writer}`,
  };
}

/**
 * Sequential writers of one store instance. A write holds a slot for its whole duration
 * (SDK retries included), so each slot's writes reach the table one after another with
 * increasing sequence numbers; concurrent writes take different slots.
 */
class WriterSlots {
  private readonly free: { index: number; sequence: number }[] = [];
  private created = 0;

  public acquire(): { index: number; sequence: number } {
    const slot = this.free.pop() ?? { index: this.created++, sequence: 0 };
    slot.sequence += 1;
    return slot;
  }

  public release(slot: { index: number; sequence: number }): void {
    this.free.push(slot);
  }
}

/**
 * Usage counters in the single table: items per tenant, model version, UTC day and
 * writer, updated with `ADD` so that concurrent requests never lose a count. Recording an
 * event is exactly one `UpdateItem` and no read; a tenant's month is one Query; every
 * tenant's month is one Query of the `usageByMonth` index (keys only) plus consistent
 * `BatchGetItem`s. Reads sum the writers' items into one row per tenant, model version
 * and day.
 *
 * Exactly once: an `ADD` is not idempotent, and the SDK retries a write whose answer it
 * did not get (a timeout) although the table may have applied it. So each writer (this
 * store instance's `writerId` and a slot) numbers its writes, and a write applies only if
 * its number is above the item's last one (`#seq < :seq`). A retry of an applied write
 * fails that condition, which means it was counted already.
 *
 * @example
 * const usage = new DynamoUsageStore({ tableName: config.tableName, client: documentClient });
 * await usage.record({ tenantId, keyId, modelName, version, at: new Date(), error: false, computeMs, inputBytes, outputBytes });
 */
export class DynamoUsageStore implements UsageStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly pageSize: number | undefined;
  /** Tells this instance's counter items from other instances' (Lambda environments, processes). */
  private readonly writerId = randomBytes(6).toString('hex');
  private readonly slots = new WriterSlots();

  public constructor(options: DynamoStoreOptions) {
    checkStoreOptions(options);
    this.client = resolveDocumentClient(options);
    this.tableName = options.tableName;
    this.pageSize = options.pageSize;
  }

  public async record(event: UsageEvent): Promise<void> {
    // toISOString() is UTC: the day and month of an event never depend on the server's zone.
    const day = event.at.toISOString().slice(0, 10);
    const month = day.slice(0, 7);
    const increments: Record<(typeof COUNTERS)[number], number> = {
      requests: event.error ? 0 : 1,
      errors: event.error ? 1 : 0,
      computeMs: event.computeMs,
      inputBytes: event.inputBytes,
      outputBytes: event.outputBytes,
    };
    for (const name of ['computeMs', 'inputBytes', 'outputBytes'] as const) {
      if (!(Number.isFinite(event[name]) && event[name] >= 0)) {
        throw new RangeError(`event.${name} must be a finite number >= 0, got ${event[name]}`);
      }
    }
    // The descriptive attributes are SET on every write (same values each time), so the
    // first event of the day creates a complete item without a read.
    const descriptive: Item = {
      [ENTITY_TYPE_ATTRIBUTE]: 'USAGE',
      tenantId: event.tenantId,
      day,
      modelName: event.modelName,
      version: event.version,
      [BY_MONTH.partitionKey]: `USAGEMONTH#${month}`,
    };
    const slot = this.slots.acquire();
    const writer = `${this.writerId}.${slot.index}`;
    descriptive[BY_MONTH.sortKey] = `${event.tenantId}#${day}#${event.modelName}#${event.version}#${writer}`;
    const names: Record<string, string> = {};
    const values: Item = {};
    const sets = Object.entries(descriptive).map(([name, value], index) => {
      names[`#s${index}`] = name;
      values[`:s${index}`] = value;
      return `#s${index} = :s${index}`;
    });
    const adds = COUNTERS.map((name, index) => {
      names[`#a${index}`] = name;
      values[`:a${index}`] = increments[name];
      return `#a${index} :a${index}`;
    });
    names['#seq'] = 'seq';
    values[':seq'] = slot.sequence;
    try {
      await withDynamoErrors(async () => {
        try {
          await this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: usageKeys(event.tenantId, day, event.modelName, event.version, writer),
              UpdateExpression: `SET ${sets.join(', ')}, #seq = :seq ADD ${adds.join(', ')}`,
              ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValues: 'NONE',
            }),
          );
        } catch (error) {
          // Only a retry of this very write can find its number applied: counted already.
          if (!isConditionalCheckFailed(error)) throw error;
        }
      });
    } finally {
      this.slots.release(slot);
    }
  }

  public async listTenantMonth(tenantId: string, month: string): Promise<UsageRow[]> {
    checkMonth(month);
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': `${USAGE_KEY_PREFIX}${tenantId}#${month}` },
      ConsistentRead: true,
    });
    return mergeWriters(items.map(toUsageRow));
  }

  public async listMonth(month: string): Promise<UsageRow[]> {
    checkMonth(month);
    const indexItems = await this.queryAll({
      TableName: this.tableName,
      IndexName: BY_MONTH.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': BY_MONTH.partitionKey },
      ExpressionAttributeValues: { ':pk': `USAGEMONTH#${month}` },
    });
    const rows: UsageRow[] = [];
    for (let start = 0; start < indexItems.length; start += BATCH_GET_LIMIT) {
      const chunk = indexItems.slice(start, start + BATCH_GET_LIMIT).map((item) => ({
        [PK]: item[PK],
        [SK]: item[SK],
      }));
      const items = await this.batchGet(chunk);
      rows.push(...items.map(toUsageRow));
    }
    // BatchGetItem answers in any order; give the index's order back (tenant, day, model, version).
    return mergeWriters(rows).sort(
      (a, b) =>
        compare(a.tenantId, b.tenantId) ||
        compare(a.day, b.day) ||
        compare(a.modelName, b.modelName) ||
        compare(a.version, b.version),
    );
  }

  private async batchGet(keys: Item[]): Promise<Item[]> {
    return withDynamoErrors(async () => {
      const items: Item[] = [];
      let pending = keys;
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > UNPROCESSED_RETRIES) {
          throw new UnavailableError('store_unavailable', 'the data store is throttling reads, retry later');
        }
        if (attempt > 0) await delay(50 * 2 ** attempt);
        const output = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        items.push(...(output.Responses?.[this.tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
      return items;
    });
  }

  private queryAll(input: QueryCommandInput): Promise<Item[]> {
    return queryAll(this.client, this.pageSize, input);
  }
}

/** Sums the items of every writer into one row per tenant, model version and day, in first-seen order. */
function mergeWriters(rows: readonly UsageRow[]): UsageRow[] {
  const merged = new Map<string, UsageRow>();
  for (const row of rows) {
    const key = `${row.tenantId}#${row.day}#${row.modelName}#${row.version}`;
    const seen = merged.get(key);
    merged.set(
      key,
      seen === undefined
        ? row
        : {
            ...seen,
            requests: seen.requests + row.requests,
            errors: seen.errors + row.errors,
            computeMs: seen.computeMs + row.computeMs,
            inputBytes: seen.inputBytes + row.inputBytes,
            outputBytes: seen.outputBytes + row.outputBytes,
          },
    );
  }
  return [...merged.values()];
}

function checkMonth(month: string): void {
  if (!MONTH_PATTERN.test(month)) throw new RangeError(`month must be YYYY-MM, got "${month}"`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readString(item: Item, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw corrupt(item, name, 'a string');
  return value;
}

function readCounter(item: Item, name: (typeof COUNTERS)[number]): number {
  const value = item[name];
  if (typeof value !== 'number') throw corrupt(item, name, 'a number');
  return value;
}

function corrupt(item: Item, name: string, expected: string): Error {
  return new Error(`item ${String(item[PK])}/${String(item[SK])}: attribute "${name}" is not ${expected}`);
}

function toUsageRow(item: Item): UsageRow {
  return {
    tenantId: readString(item, 'tenantId'),
    day: readString(item, 'day'),
    modelName: readString(item, 'modelName'),
    version: readString(item, 'version'),
    requests: readCounter(item, 'requests'),
    errors: readCounter(item, 'errors'),
    computeMs: readCounter(item, 'computeMs'),
    inputBytes: readCounter(item, 'inputBytes'),
    outputBytes: readCounter(item, 'outputBytes'),
  };
}
