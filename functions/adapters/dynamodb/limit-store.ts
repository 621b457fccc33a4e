import { randomBytes } from 'node:crypto';
import {
  GetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '../../core/errors';
import type { AdmitOutcome, LimitKey, LimitStore, ReserveOutcome } from '../../core/limits/limit-store';
import {
  latestAdmissibleTat,
  type LimitState,
  type RateVariant,
  type RequestLimits,
} from '../../core/limits/policy';
import type { UsageEvent } from '../../core/metering/types';
import { type UsageWrite, writeId } from '../../core/metering/usage-write';
import { Writers } from '../../core/metering/writers';
import { field, text } from '../sdk-errors';
import { checkStoreOptions, createDocumentClient, type DynamoStoreOptions } from './client';
import { isConditionalCheckFailed, isStoreUnavailable } from './errors';
import {
  addMeteredWrite,
  addOpenItemConditions,
  admissionDay,
  type CarriedState,
  dayItemKey,
  dayOfItem,
  emptyUpdate,
  isItemTooLarge,
  LIMIT_ITEM_SORT_KEY_PREFIX,
  lowLevelNumber,
  type MonthUpdate,
  OPEN_DAY_ITEM,
  seededDayItem,
  successorOf,
  updateInput,
  writerAttribute,
} from './month-item';
import { TABLE_DESIGN } from './table-design';

type Item = Record<string, unknown>;

const { partitionKey: PK, sortKey: SK } = TABLE_DESIGN;

/** Errors that prove the request never reached the table: throttling, and connections never made. */
const NOT_APPLIED_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Node's messages for those failures, which is all that is left of them when the SDK wraps an
 * error from another realm (jest's): `connect ECONNREFUSED 127.0.0.1:8000`.
 */
const NOT_CONNECTED_MESSAGE =
  /\b(connect (ECONNREFUSED|EHOSTUNREACH|ENETUNREACH)|getaddrinfo (ENOTFOUND|EAI_AGAIN))\b/;

/** Options of `DynamoLimitStore`: the common store options and the retry delays. */
export type DynamoLimitStoreOptions = DynamoStoreOptions & {
  /**
   * Delays before each retry of a failed operation (how many retries there are, too).
   * @default [25, 100, 250]
   */
  readonly retryDelaysMs?: readonly number[];
};

/** Day items one admission may move through (a day roll, a sealed item, a clock behind the table's days). */
const MAX_MOVES = 8;

/**
 * The limiter's records in the single table: per tenant and UTC month, one item per UTC day in
 * the tenant's usage partition, `pk = USAGE#<tenantId>#<YYYY-MM>`, `sk = LIMIT#<DD>` (the day
 * items, `./month-item.ts`). The item of the day an admission is written (the GCRA's time)
 * holds the month's running `used` (requests admitted this month) and `tat` (the GCRA's
 * theoretical arrival time, integer microseconds), both carried from the day before, plus that
 * day's billing counters (`r|`, `c|`, `i|`, `o|` + `<DD>#<model>#<version>#<plan>`) and each of
 * that day's writers' last applied write number (`w|<writer>`), so its size, and the capacity
 * units each write costs, stay those of one day whatever the day of the month.
 *
 * The warm path is one `UpdateItem` on the day's item and no read: its condition is the
 * admission test (the item exists, is not `sealed`, and the limits hold) and its answer
 * (`UPDATED_NEW`) the new state. On a refused condition DynamoDB returns the item that refused
 * it (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so no read is needed to tell a spent
 * quota from a spent rate (dynalite, the local table, does not return it: the store then reads
 * the item once).
 *
 * The day roll, once per tenant and day (the first admission of the day finds no item): one
 * Query for the latest `LIMIT#` item of the month, an `UpdateItem` that seals it (`sealed`, `--`
 * while open, set to the new day, only if still open; it returns its final `used` and `tat`), a conditional
 * `PutItem` that seeds the new day's item with them (one of concurrent seeds wins: they carry
 * the same state), then the admission again. A sealed item names the one day it was carried
 * to, so an admission refused by a sealed item (a clock behind, a request in flight at
 * midnight) moves on to that day's item, seeding it if its roll was interrupted; every item is
 * seeded from the final state of exactly one predecessor, so `used` stays exact across days.
 * The first item of a month starts at `used` 0 without a `tat`: each month starts afresh.
 *
 * Exactly once: an admission adds to `used` and to billed counters, so the SDK must not retry
 * it (its client has `maxAttempts: 1`, checked on first use); the store retries itself, every
 * attempt with the write's writer and number and the condition `attribute_not_exists(w|writer)
 * OR w|writer < :seq`, so that however often it is sent it applies once:
 *
 * - a failure that proves the write was not applied (throttling, a refused connection) is
 *   sent again;
 * - a failure that leaves it unknown (a timeout, a lost connection, a 5xx) is sent once more;
 *   a refusal of that attempt is checked against the item (`w|writer = :seq`: it was ours,
 *   applied);
 * - when that attempt's outcome is unknown too: `unknown`, with the write and the day item it
 *   was sent to (the caller spills it; the replay applies it to that item); when every attempt
 *   of a throttled write fails: 503 `limits_unavailable`, not applied.
 *
 * `reserve`, the fallback for a day item that cannot take more counters, is the admission
 * alone, made exactly once the older way: a retry after an unknown outcome carries
 * `op <> :token` (`op` is the token of the last reservation), which can count one request too
 * many when another reservation came in between, never one admission too many.
 *
 * @example
 * const limits = new DynamoLimitStore({ tableName, clientConfig: { region: 'eu-west-1', maxAttempts: 1 } });
 */
export class DynamoLimitStore implements LimitStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retryDelaysMs: readonly number[];
  private readonly writers = new Writers();
  /** Ids of open writes with an attempt of unknown outcome: applied later or not, their writer retires. */
  private readonly uncertain = new Set<string>();
  private clientChecked: Promise<void> | undefined;

  public constructor(options: DynamoLimitStoreOptions) {
    checkStoreOptions(options);
    const delays = options.retryDelaysMs ?? [25, 100, 250];
    if (!delays.every((delay) => Number.isFinite(delay) && delay >= 0)) {
      throw new RangeError(`options.retryDelaysMs must be numbers >= 0, got [${delays.join(', ')}]`);
    }
    this.client =
      options.client ?? createDocumentClient({ clientConfig: { ...options.clientConfig, maxAttempts: 1 } });
    this.tableName = options.tableName;
    this.retryDelaysMs = delays;
  }

  public open(event: UsageEvent, steps: readonly UsageEvent[]): UsageWrite {
    return { event, ...this.writers.open(), target: 'month', steps };
  }

  public close(write: UsageWrite, applied: boolean): void {
    const id = writeId(write);
    this.writers.close(write, applied || !this.uncertain.has(id));
    this.uncertain.delete(id);
  }

  public async admit(
    key: LimitKey,
    limits: RequestLimits,
    nowUs: number,
    variant: RateVariant,
    write: UsageWrite,
  ): Promise<AdmitOutcome> {
    await this.checkClientOnce();
    const id = writeId(write);
    let day = admissionDay(key.month, nowUs);
    let unknownAnswers = 0;
    let moves = 0;
    for (let attempt = 0; ;) {
      const update = emptyUpdate();
      addOpenItemConditions(update);
      addMeteredWrite(update, key.month, write);
      addLimits(update, limits, nowUs, variant);
      try {
        const output = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: dayItemKey(key.tenantId, key.month, day),
            ...updateInput(update),
            ReturnValues: 'UPDATED_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { outcome: 'applied', state: toState(output.Attributes ?? {}) };
      } catch (error) {
        const refused = isConditionalCheckFailed(error);
        if (refused || isItemTooLarge(error)) {
          let view = refused ? viewOfRefusal(error, write.writer) : undefined;
          if (this.uncertain.has(id)) {
            // An earlier attempt's answer was lost: refused because that attempt was applied?
            view ??= await this.readDay(key, day, write.writer);
            if (view.writerSequence === write.sequence) return { outcome: 'applied', state: view.state };
          }
          if (!refused) return { outcome: 'too-large' };
          view ??= await this.readDay(key, day, write.writer);
          const next = await this.nextDay(key, day, view);
          if (next === undefined) return { outcome: 'refused', state: view.state };
          day = next;
          moves = checkMoves(moves, key);
          continue;
        }
        if (!provesNotApplied(error)) {
          if (!isStoreUnavailable(error)) throw error;
          this.uncertain.add(id);
          unknownAnswers += 1;
          // One more attempt to find out; a second unknown outcome is not chased further.
          if (unknownAnswers >= 2) {
            return { outcome: 'unknown', error, write: { ...write, day: `${key.month}-${day}` } };
          }
        }
        const delay = this.retryDelaysMs[attempt];
        attempt += 1;
        if (delay === undefined) {
          if (this.uncertain.has(id)) {
            return { outcome: 'unknown', error, write: { ...write, day: `${key.month}-${day}` } };
          }
          throw unavailable(error);
        }
        await pause(delay);
      }
    }
  }

  public async reserve(
    key: LimitKey,
    limits: RequestLimits,
    nowUs: number,
    variant: RateVariant,
  ): Promise<ReserveOutcome> {
    await this.checkClientOnce();
    const token = randomBytes(9).toString('base64url');
    const command = (day: string, verifying: boolean) => {
      const update = emptyUpdate();
      addOpenItemConditions(update);
      update.names['#op'] = 'op';
      update.values[':token'] = token;
      update.values[':one'] = 1;
      update.sets.push('#op = :token');
      update.adds.push('#used :one');
      addLimits(update, limits, nowUs, variant);
      if (verifying) update.conditions.push('(attribute_not_exists(#op) OR #op <> :token)');
      return new UpdateCommand({
        TableName: this.tableName,
        Key: dayItemKey(key.tenantId, key.month, day),
        ...updateInput(update),
        ReturnValues: 'UPDATED_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    };

    let day = admissionDay(key.month, nowUs);
    let verifying = false;
    let moves = 0;
    for (let attempt = 0; ;) {
      try {
        const output = await this.client.send(command(day, verifying));
        return { applied: true, state: toState(output.Attributes ?? {}) };
      } catch (error) {
        if (isConditionalCheckFailed(error)) {
          const view = viewOfRefusal(error) ?? (await this.readDay(key, day));
          // A retry after an unknown outcome: refused because the first attempt was applied?
          if (verifying && view.op === token) return { applied: true, state: view.state };
          const next = await this.nextDay(key, day, view);
          if (next === undefined) return { applied: false, state: view.state };
          day = next;
          moves = checkMoves(moves, key);
          continue;
        }
        if (!provesNotApplied(error)) {
          // One retry to find out; a second unknown outcome is not chased further.
          if (verifying && isStoreUnavailable(error)) throw unavailable(error);
          verifying = true;
        }
        await this.beforeRetry(attempt, error);
        attempt += 1;
      }
    }
  }

  /** The month's running state: that of its latest day item; `{}` when there is none. */
  public async read(key: LimitKey): Promise<LimitState> {
    await this.checkClientOnce();
    return (await this.latestItem(key))?.state ?? {};
  }

  /**
   * Where an admission refused by day item `day` (seen as `view`) goes next: a later day's
   * item when this one is missing (the day roll) or sealed (its successor, seeded if its roll
   * was interrupted); `undefined` when the item itself refused it (the limits).
   */
  private async nextDay(key: LimitKey, day: string, view: RecordView): Promise<string | undefined> {
    if (!view.exists) return this.roll(key, day);
    if (view.sealed === undefined) return undefined;
    await this.seed(key, view.sealed, carriedOf(view.state));
    return view.sealed;
  }

  /**
   * The day roll: day `day` has no item yet. Seals the month's latest day item (or finds it
   * sealed), seeds the item it was carried to with its final `used` and `tat`, and returns that
   * day (usually `day`; the latest item's own day when it is `day` or later: another instance
   * rolled already, or this clock is behind).
   */
  private async roll(key: LimitKey, day: string): Promise<string> {
    const latest = await this.latestItem(key);
    if (latest === undefined) {
      await this.seed(key, day, { used: 0 });
      return day;
    }
    if (latest.day >= day) return latest.day;
    const sealed = await this.seal(key, latest.day, day);
    await this.seed(key, sealed.successor, carriedOf(sealed.state));
    return sealed.successor;
  }

  /**
   * Seals day item `day` for `successor` (idempotent: an item sealed already keeps the
   * successor it was given); returns that successor and the item's final state.
   */
  private async seal(
    key: LimitKey,
    day: string,
    successor: string,
  ): Promise<{ readonly successor: string; readonly state: LimitState }> {
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: dayItemKey(key.tenantId, key.month, day),
      UpdateExpression: 'SET #sealed = :successor',
      ConditionExpression: '#sealed = :open',
      ExpressionAttributeNames: { '#sealed': 'sealed' },
      ExpressionAttributeValues: { ':successor': successor, ':open': OPEN_DAY_ITEM },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    for (let attempt = 0; ; attempt += 1) {
      try {
        const output = await this.client.send(command);
        return { successor, state: toState(output.Attributes ?? {}) };
      } catch (error) {
        if (isConditionalCheckFailed(error)) {
          const view = viewOfRefusal(error) ?? (await this.readDay(key, day));
          if (view.sealed === undefined) {
            throw new Error(`limit item ${key.tenantId} ${key.month}-${day} vanished during its day roll`, {
              cause: error,
            });
          }
          return { successor: view.sealed, state: view.state };
        }
        await this.beforeRetry(attempt, error);
      }
    }
  }

  /** Creates day item `day` with the carried state, unless it exists (another instance seeded it first). */
  private async seed(key: LimitKey, day: string, carried: CarriedState): Promise<void> {
    const command = new PutCommand({
      TableName: this.tableName,
      Item: seededDayItem(key.tenantId, key.month, day, carried),
      ConditionExpression: 'attribute_not_exists(#used)',
      ExpressionAttributeNames: { '#used': 'used' },
    });
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.client.send(command);
        return;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return;
        await this.beforeRetry(attempt, error);
      }
    }
  }

  /** The month's latest day item (one Query, newest first, strongly consistent), or `undefined`. */
  private async latestItem(key: LimitKey): Promise<(RecordView & { readonly day: string }) | undefined> {
    const command = new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#used': 'used', '#tat': 'tat', '#sealed': 'sealed' },
      ExpressionAttributeValues: {
        ':pk': dayItemKey(key.tenantId, key.month, '01')[PK],
        ':prefix': LIMIT_ITEM_SORT_KEY_PREFIX,
      },
      ProjectionExpression: '#pk, #sk, #used, #tat, #sealed',
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
    for (let attempt = 0; ; attempt += 1) {
      try {
        const item = (await this.client.send(command)).Items?.[0];
        return item === undefined ? undefined : { ...viewOf(item), day: dayOfItem(item) };
      } catch (error) {
        await this.beforeRetry(attempt, error);
      }
    }
  }

  /**
   * Day item `day` as it is: its state, seal, last reservation's token and, given a writer, its
   * last applied write number; read strongly consistent (reads are idempotent: every failure is
   * retried).
   */
  private async readDay(key: LimitKey, day: string, writer?: string): Promise<RecordView> {
    const names: Record<string, string> = {
      '#pk': PK,
      '#used': 'used',
      '#tat': 'tat',
      '#op': 'op',
      '#sealed': 'sealed',
    };
    if (writer !== undefined) names['#w'] = writerAttribute(writer);
    const command = new GetCommand({
      TableName: this.tableName,
      Key: dayItemKey(key.tenantId, key.month, day),
      ConsistentRead: true,
      ProjectionExpression: Object.keys(names).join(', '),
      ExpressionAttributeNames: names,
    });
    for (let attempt = 0; ; attempt += 1) {
      try {
        const item = (await this.client.send(command)).Item;
        return item === undefined ? { exists: false, state: {} } : viewOf(item, writer);
      } catch (error) {
        await this.beforeRetry(attempt, error);
      }
    }
  }

  /** Waits before retry `attempt`, or throws: 503 for a store failure, the error as it is otherwise. */
  private async beforeRetry(attempt: number, error: unknown): Promise<void> {
    const transient = isStoreUnavailable(error) || provesNotApplied(error);
    const delay = this.retryDelaysMs[attempt];
    if (!transient) throw error;
    if (delay === undefined) throw unavailable(error);
    await pause(delay);
  }

  private async checkClientOnce(): Promise<void> {
    this.clientChecked ??= this.checkClient();
    await this.clientChecked;
  }

  /** A client that retries on its own could apply an admission twice. */
  private async checkClient(): Promise<void> {
    const attempts = await this.client.config.maxAttempts();
    if (attempts !== 1) {
      this.clientChecked = undefined;
      throw new TypeError(
        `DynamoLimitStore needs a client that does not retry (maxAttempts: 1), got maxAttempts: ${attempts}`,
      );
    }
  }
}

/** What the store reads back from a day item. */
interface RecordView {
  /** False: the day item does not exist (yet). */
  readonly exists: boolean;
  readonly state: LimitState;
  /** The day (`DD`) the item's state was carried to: set once its day is over. */
  readonly sealed?: string;
  readonly op?: string;
  readonly writerSequence?: number;
}

/** The limits' conditions and the move of `tat`; limits the plan does not set are neither checked nor written. */
function addLimits(update: MonthUpdate, limits: RequestLimits, nowUs: number, variant: RateVariant): void {
  update.names['#used'] = 'used';
  if (limits.monthlyQuota !== undefined) {
    update.values[':quota'] = limits.monthlyQuota;
    update.conditions.push('#used < :quota');
  }
  if (limits.rate !== undefined) {
    update.names['#tat'] = 'tat';
    update.values[':now'] = nowUs;
    if (variant === 'continue') {
      update.values[':latest'] = latestAdmissibleTat(limits.rate, nowUs);
      update.values[':interval'] = limits.rate.intervalUs;
      update.conditions.push('(#tat > :now AND #tat <= :latest)');
      update.sets.push('#tat = #tat + :interval');
    } else {
      update.values[':next'] = nowUs + limits.rate.intervalUs;
      update.conditions.push('(attribute_not_exists(#tat) OR #tat <= :now)');
      update.sets.push('#tat = :next');
    }
  }
}

function unavailable(error: unknown): UnavailableError {
  return new UnavailableError(
    'limits_unavailable',
    'The rate limit and quota store is unavailable; the request was not served, retry later',
    { cause: error },
  );
}

function pause(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs * (0.5 + Math.random())));
}

function provesNotApplied(error: unknown): boolean {
  return NOT_APPLIED_NAMES.has(text(error, 'name')) || neverConnected(error, 0);
}

function neverConnected(error: unknown, depth: number): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  if (NOT_CONNECTED_CODES.has(text(error, 'code')) || NOT_CONNECTED_MESSAGE.test(text(error, 'message'))) {
    return true;
  }
  const nested = field(error, 'errors');
  return [field(error, 'cause'), ...(Array.isArray(nested) ? nested : [])].some((inner: unknown) =>
    neverConnected(inner, depth + 1),
  );
}

function isObject(value: unknown): value is Item {
  return typeof value === 'object' && value !== null;
}

function toState(item: Item): LimitState {
  const used = item.used;
  const tat = item.tat;
  return {
    ...(typeof used === 'number' ? { used } : {}),
    ...(typeof tat === 'number' ? { tat } : {}),
  };
}

/** The state a new day item carries from the item before it. */
function carriedOf(state: LimitState): CarriedState {
  return { used: state.used ?? 0, ...(state.tat === undefined ? {} : { tat: state.tat }) };
}

/** Moves one admission has made through day items; more than `MAX_MOVES` is a fault (503). */
function checkMoves(moves: number, key: LimitKey): number {
  if (moves + 1 > MAX_MOVES) {
    throw unavailable(new Error(`limit items of ${key.tenantId} ${key.month} kept moving`));
  }
  return moves + 1;
}

/** `sealed` of a view: the successor day of a sealed item, nothing for an open one. */
function withSealed(sealed: unknown): { readonly sealed?: string } {
  const successor = successorOf(sealed);
  return successor === undefined ? {} : { sealed: successor };
}

/** A day item read through the document client. */
function viewOf(item: Item, writer?: string): RecordView {
  const sequence = writer === undefined ? undefined : item[writerAttribute(writer)];
  return {
    exists: true,
    state: toState(item),
    ...withSealed(item.sealed),
    ...(typeof item.op === 'string' ? { op: item.op } : {}),
    ...(typeof sequence === 'number' ? { writerSequence: sequence } : {}),
  };
}

/**
 * The day item that refused a write, when DynamoDB returned it (`ALL_OLD`, in the low-level
 * format the document client does not convert: `{ used: { N: '3' } }`); `undefined` when it
 * did not (the item does not exist, or the table is dynalite).
 */
function viewOfRefusal(error: unknown, writer?: string): RecordView | undefined {
  const item = field(error, 'Item');
  if (!isObject(item)) return undefined;
  const used = lowLevelNumber(item, 'used');
  const tat = lowLevelNumber(item, 'tat');
  const op = text(field(item, 'op'), 'S');
  const sealed = text(field(item, 'sealed'), 'S');
  const sequence = writer === undefined ? undefined : lowLevelNumber(item, writerAttribute(writer));
  return {
    exists: true,
    state: { ...(used === undefined ? {} : { used }), ...(tat === undefined ? {} : { tat }) },
    ...withSealed(sealed),
    ...(op === '' ? {} : { op }),
    ...(sequence === undefined ? {} : { writerSequence: sequence }),
  };
}
