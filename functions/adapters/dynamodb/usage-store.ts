import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '../../core/errors';
import type { UsageEvent, UsageRow } from '../../core/metering/types';
import {
  eventsOf,
  type SequencedUsageStore,
  type UsageWrite,
  writeId,
} from '../../core/metering/usage-write';
import { Writers } from '../../core/metering/writers';
import { checkStoreOptions, type DynamoStoreOptions, queryAll, resolveDocumentClient } from './client';
import { isConditionalCheckFailed, withDynamoErrors } from './errors';
import {
  addMeteredWrite,
  dayItemKey,
  emptyUpdate,
  isDayItem,
  isItemTooLarge,
  type MonthUpdate,
  rowsOfDayItem,
  updateInput,
  writerAttribute,
} from './month-item';
import { ENTITY_TYPE_ATTRIBUTE, TABLE_DESIGN, USAGE_KEY_PREFIX } from './table-design';

type Item = Record<string, unknown>;

const { partitionKey: PK, sortKey: SK } = TABLE_DESIGN;
const BY_MONTH = TABLE_DESIGN.globalSecondaryIndexes.usageByMonth;
const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;
/** Attempts of a replayed admit-and-meter write whose day item changes under it (it is being seeded). */
const MONTH_REPLAY_ATTEMPTS = 3;

/** BatchGetItem reads at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;

/** What one attempt of a replayed admit-and-meter write found: applied, no day item to take it, or an item seeded meanwhile. */
type MonthReplay = 'applied' | 'to-rows' | 'changed';
/** Rounds of retrying keys DynamoDB left unprocessed before giving up with 503. */
const UNPROCESSED_RETRIES = 6;

const COUNTERS = ['requests', 'errors', 'computeMs', 'inputBytes', 'outputBytes'] as const;

/** Keys of the counter item of one tenant, model version, UTC day, plan and writer. */
function usageKeys(
  tenantId: string,
  day: string,
  modelName: string,
  version: string,
  plan: string,
  writer: string,
): Item {
  const month = day.slice(0, 7);
  return {
    [PK]: `${USAGE_KEY_PREFIX}${tenantId}#${month}`,
    [SK]: `${day}#${modelName}#${version}#${plan}#${writer}`,
  };
}

/** Constructor options of {@link DynamoUsageStore}. */
export type DynamoUsageStoreOptions = DynamoStoreOptions & {
  /**
   * The client of usage writes (`apply`, `record`), when they need other settings than the
   * reads (the functions send them with one attempt each and retry them in the recorder).
   * @default the client of the reads
   */
  readonly writeClient?: DynamoDBDocumentClient;
};

/**
 * Usage counters in the single table: items per tenant, model version, UTC day and
 * writer, updated with `ADD` so that concurrent requests never lose a count. Recording an
 * event is exactly one `UpdateItem` and no read; a tenant's month is one Query; every
 * tenant's month is one Query of the `usageByMonth` index (keys only) plus consistent
 * `BatchGetItem`s. Reads sum the writers' items into one row per tenant, model version
 * and day.
 *
 * The same partition holds the tenant's limit items, one per day (`LIMIT#<DD>`,
 * `./month-item.ts`, written by `DynamoLimitStore`), which count the successful requests of
 * plans with limits in the write that admits them: reads turn the counters of every day item
 * into rows, merged with the usage rows of the same key like the rows of different writers (a
 * request admitted just after midnight is counted under its own day in the next day's item).
 *
 * Exactly once: an `ADD` is not idempotent, and the SDK retries a write whose answer it
 * did not get (a timeout) although the table may have applied it. So each writer (this
 * store instance's `writerId` and a slot) numbers its writes, and a write applies only if
 * its number is above the item's last one (`#seq < :seq`). A retry of an applied write
 * fails that condition, which means it was counted already. `open`, `apply` and `close`
 * expose that protocol (`SequencedUsageStore`) to the durable recorder, which retries a
 * write and spills it with its writer and number, and to the replay, which applies it
 * later from another process; `record` is one `open`, `apply`, `close`. `apply` also replays
 * spilled admit-and-meter writes (`target: 'month'`) to the day item they were sent to.
 *
 * @example
 * const usage = new DynamoUsageStore({ tableName: config.tableName, client: documentClient });
 * await usage.record({ tenantId, keyId, modelName, version, plan, at: new Date(), error: false, computeMs, inputBytes, outputBytes });
 */
export class DynamoUsageStore implements SequencedUsageStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly writeClient: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly pageSize: number | undefined;
  private readonly writers = new Writers();

  public constructor(options: DynamoUsageStoreOptions) {
    checkStoreOptions(options);
    this.client = resolveDocumentClient(options);
    this.writeClient = options.writeClient ?? this.client;
    this.tableName = options.tableName;
    this.pageSize = options.pageSize;
  }

  public async record(event: UsageEvent): Promise<void> {
    const write = this.open(event);
    let applied = false;
    try {
      await this.apply(write);
      applied = true;
    } finally {
      this.close(write, applied);
    }
  }

  public open(event: UsageEvent): UsageWrite {
    checkEvent(event);
    return { event, ...this.writers.open() };
  }

  public close(write: UsageWrite, applied: boolean): void {
    this.writers.close(write, applied);
  }

  public async apply(write: UsageWrite, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    if (write.target === 'month') {
      await this.applyToMonth(write, options);
      return;
    }
    await this.applyToRow(write, options);
  }

  /**
   * A spilled admit-and-meter write, replayed: one request of the quota and the counters of
   * its events added to the tenant's day item it was sent to (`write.day`), only if that item
   * exists and has not taken this write (the limits are not checked again: the request was
   * served; a sealed item takes it too, its counters are billed, but its unit of the quota is
   * not carried to the later days). If the item does not exist (the write was refused by its
   * absence, so never applied), or cannot take more counters (400 KB), the events go to usage
   * rows of the same writer and number instead, and the quota unit is not counted.
   */
  private async applyToMonth(write: UsageWrite, options: { readonly signal?: AbortSignal }): Promise<void> {
    writeId(write);
    const { tenantId } = write.event;
    const month = write.event.at.toISOString().slice(0, 7);
    const date = write.day ?? write.event.at.toISOString().slice(0, 10);
    if (!(date.startsWith(`${month}-`) && /^\d{4}-\d{2}-\d{2}$/.test(date))) {
      throw new RangeError(`write.day must be a day (YYYY-MM-DD) of ${month}, got "${date}"`);
    }
    const key = dayItemKey(tenantId, month, date.slice(8));
    const update = emptyUpdate();
    addMeteredWrite(update, month, write);
    update.conditions.push('attribute_exists(#used)');
    for (let attempt = 1; ; attempt += 1) {
      let result: MonthReplay;
      try {
        result = await withDynamoErrors(() => this.replayToDayItem(key, update, write, options));
      } catch (error) {
        if (!isItemTooLarge(error)) throw error;
        result = 'to-rows';
      }
      if (result === 'applied') return;
      if (result === 'to-rows') break;
      if (attempt >= MONTH_REPLAY_ATTEMPTS) {
        throw new UnavailableError('store_unavailable', 'the usage store keeps changing, retry later');
      }
    }
    for (const event of eventsOf(write)) {
      await this.applyToRow({ event, writer: write.writer, sequence: write.sequence }, options);
    }
  }

  /** One attempt of a replayed admit-and-meter write on its day item. */
  private async replayToDayItem(
    key: Item,
    update: MonthUpdate,
    write: UsageWrite,
    options: { readonly signal?: AbortSignal },
  ): Promise<MonthReplay> {
    try {
      await this.writeClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          ...updateInput(update),
          ReturnValues: 'NONE',
        }),
        { abortSignal: options.signal },
      );
      return 'applied';
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    // Refused: by this very write's number (only it can meet it: applied already), or no item.
    const writer = writerAttribute(write.writer);
    const { Item: item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: '#used, #w',
        ExpressionAttributeNames: { '#used': 'used', '#w': writer },
      }),
      { abortSignal: options.signal },
    );
    const sequence = item?.[writer];
    if (typeof sequence === 'number' && sequence >= write.sequence) return 'applied';
    return item?.used === undefined ? 'to-rows' : 'changed';
  }

  private async applyToRow(write: UsageWrite, options: { readonly signal?: AbortSignal }): Promise<void> {
    const { event, writer, sequence } = write;
    checkEvent(event);
    writeId(write);
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
    // The descriptive attributes are SET on every write (same values each time), so the
    // first event of the day creates a complete item without a read.
    const descriptive: Item = {
      [ENTITY_TYPE_ATTRIBUTE]: 'USAGE',
      tenantId: event.tenantId,
      day,
      modelName: event.modelName,
      version: event.version,
      plan: event.plan,
      [BY_MONTH.partitionKey]: `USAGEMONTH#${month}`,
      [BY_MONTH.sortKey]: `${event.tenantId}#${day}#${event.modelName}#${event.version}#${event.plan}#${writer}`,
    };
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
    values[':seq'] = sequence;
    await withDynamoErrors(async () => {
      try {
        await this.writeClient.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: usageKeys(event.tenantId, day, event.modelName, event.version, event.plan, writer),
            UpdateExpression: `SET ${sets.join(', ')}, #seq = :seq ADD ${adds.join(', ')}`,
            ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'NONE',
          }),
          { abortSignal: options.signal },
        );
      } catch (error) {
        // Only this very write can find its number applied (its writer takes no other write
        // until it is closed, and is retired if it was not applied): counted already.
        if (!isConditionalCheckFailed(error)) throw error;
      }
    });
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
    return mergeWriters(items.flatMap(rowsOf));
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
      rows.push(...items.flatMap(rowsOf));
    }
    // BatchGetItem answers in any order; give the index's order back (tenant, day, model, version).
    return mergeWriters(rows).sort(
      (a, b) =>
        compare(a.tenantId, b.tenantId) ||
        compare(a.day, b.day) ||
        compare(a.modelName, b.modelName) ||
        compare(a.version, b.version) ||
        compare(a.plan, b.plan),
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

/** Sums the items of every writer into one row per tenant, model version, day and plan, in first-seen order. */
function mergeWriters(rows: readonly UsageRow[]): UsageRow[] {
  const merged = new Map<string, UsageRow>();
  for (const row of rows) {
    const key = `${row.tenantId}#${row.day}#${row.modelName}#${row.version}#${row.plan}`;
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

function checkEvent(event: UsageEvent): void {
  for (const name of ['computeMs', 'inputBytes', 'outputBytes'] as const) {
    if (!(Number.isFinite(event[name]) && event[name] >= 0)) {
      throw new RangeError(`event.${name} must be a finite number >= 0, got ${event[name]}`);
    }
  }
  if (Number.isNaN(event.at.getTime())) throw new RangeError('event.at must be a valid date');
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

/** The rows of an item of a usage partition: a usage row, or the rows of one of a tenant's day items. */
function rowsOf(item: Item): UsageRow[] {
  return isDayItem(item) ? rowsOfDayItem(item) : [toUsageRow(item)];
}

function toUsageRow(item: Item): UsageRow {
  return {
    tenantId: readString(item, 'tenantId'),
    day: readString(item, 'day'),
    modelName: readString(item, 'modelName'),
    version: readString(item, 'version'),
    plan: readString(item, 'plan'),
    requests: readCounter(item, 'requests'),
    errors: readCounter(item, 'errors'),
    computeMs: readCounter(item, 'computeMs'),
    inputBytes: readCounter(item, 'inputBytes'),
    outputBytes: readCounter(item, 'outputBytes'),
  };
}
