import { randomBytes } from 'node:crypto';
import { GetCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from '../../core/errors';
import type { LimitKey, LimitStore, ReserveOutcome } from '../../core/limits/limit-store';
import {
  latestAdmissibleTat,
  type LimitState,
  type RateVariant,
  type RequestLimits,
} from '../../core/limits/policy';
import { field, text } from '../sdk-errors';
import { checkStoreOptions, createDocumentClient, type DynamoStoreOptions } from './client';
import { isConditionalCheckFailed, isStoreUnavailable } from './errors';
import { ENTITY_TYPE_ATTRIBUTE, TABLE_DESIGN, USAGE_KEY_PREFIX } from './table-design';

type Item = Record<string, unknown>;

const { partitionKey: PK, sortKey: SK } = TABLE_DESIGN;

/**
 * Partition of a tenant's limiter records: under `USAGE#` (the only items the inference
 * function may write), but never a partition `DynamoUsageStore` reads as usage rows
 * (`USAGE#<tenantId>#<YYYY-MM>`: tenant ids are `t_<hex>` or `operator`, never `LIMIT`).
 */
export const LIMIT_KEY_PREFIX = `${USAGE_KEY_PREFIX}LIMIT#`;

/** Limiter records are kept this long after their month ends, then expire (TTL). */
const KEEP_AFTER_MONTH_DAYS = 92;

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

/** Options of `DynamoLimitStore`: the common store options and the retry delays. */
export type DynamoLimitStoreOptions = DynamoStoreOptions & {
  /**
   * Delays before each retry of a failed operation (how many retries there are, too).
   * @default [25, 100, 250]
   */
  readonly retryDelaysMs?: readonly number[];
};

/**
 * The limiter's records in the single table: one item per tenant and UTC month,
 * `pk = USAGE#LIMIT#<tenantId>`, `sk = <YYYY-MM>`, with `used` (admitted requests that did
 * not give their unit back), `tat` (the GCRA's theoretical arrival time, integer
 * microseconds) and `op` (the token of the last reservation). A reservation is one
 * `UpdateItem` whose condition is the admission test and whose answer (`ALL_NEW`) is the new
 * state; on a refused condition DynamoDB returns the item that refused it
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so no read is needed to tell a spent
 * quota from a spent rate. (dynalite, the local table, does not return it: the limiter then
 * reads the item once.)
 *
 * Exactly once: a reservation adds 1 to `used`, which is not idempotent, so the SDK must not
 * retry it (its client has `maxAttempts: 1`, checked on first use); the store retries itself:
 *
 * - a failure that proves the write was not applied (throttling, a refused connection) is
 *   sent again as it was;
 * - a failure that leaves it unknown (a timeout, a lost connection, a 5xx) is sent again with
 *   one more condition, `op <> :token`: if the first one was applied and no other
 *   reservation came after it, the retry is refused and the item (`op = :token`) says it was
 *   ours. If another reservation overwrote `op` in between, the retry applies again and the
 *   tenant's month counts one request too many: the error is always on the safe side, never
 *   one admission too many;
 * - when that retry fails too, or every retry of a throttled write does, 503
 *   `limits_unavailable`: the request is not served.
 *
 * A release (`used - 1`) is not retried after a failure that leaves it unknown: twice
 * would give back a unit that was used. The tenant then keeps one unit spent.
 *
 * @example
 * const limits = new DynamoLimitStore({ tableName, clientConfig: { region: 'eu-west-1' } });
 */
export class DynamoLimitStore implements LimitStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retryDelaysMs: readonly number[];
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

  public async reserve(
    key: LimitKey,
    limits: RequestLimits,
    nowUs: number,
    variant: RateVariant,
  ): Promise<ReserveOutcome> {
    await this.checkClientOnce();
    const token = randomBytes(9).toString('base64url');
    const names: Record<string, string> = {
      '#entity': ENTITY_TYPE_ATTRIBUTE,
      '#tenantId': 'tenantId',
      '#month': 'month',
      '#expiresAt': TABLE_DESIGN.timeToLiveAttribute,
      '#used': 'used',
      '#op': 'op',
    };
    const values: Item = {
      ':entity': 'LIMIT',
      ':tenantId': key.tenantId,
      ':month': key.month,
      ':expiresAt': expiryOf(key.month),
      ':one': 1,
      ':token': token,
    };
    const sets = [
      '#entity = :entity',
      '#tenantId = :tenantId',
      '#month = :month',
      '#expiresAt = :expiresAt',
      '#op = :token',
    ];
    const conditions: string[] = [];
    if (limits.monthlyQuota !== undefined) {
      values[':quota'] = limits.monthlyQuota;
      conditions.push('(attribute_not_exists(#used) OR #used < :quota)');
    }
    if (limits.rate !== undefined) {
      names['#tat'] = 'tat';
      values[':now'] = nowUs;
      if (variant === 'continue') {
        values[':latest'] = latestAdmissibleTat(limits.rate, nowUs);
        values[':interval'] = limits.rate.intervalUs;
        conditions.push('(#tat > :now AND #tat <= :latest)');
        sets.push('#tat = #tat + :interval');
      } else {
        values[':next'] = nowUs + limits.rate.intervalUs;
        conditions.push('(attribute_not_exists(#tat) OR #tat <= :now)');
        sets.push('#tat = :next');
      }
    }
    const command = (verifying: boolean) => {
      const all = verifying ? [...conditions, '(attribute_not_exists(#op) OR #op <> :token)'] : conditions;
      return new UpdateCommand({
        TableName: this.tableName,
        Key: limitKeys(key),
        UpdateExpression: `SET ${sets.join(', ')} ADD #used :one`,
        ...(all.length > 0 ? { ConditionExpression: all.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    };

    let verifying = false;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const output = await this.client.send(command(verifying));
        return { applied: true, state: toState(output.Attributes ?? {}) };
      } catch (error) {
        if (isConditionalCheckFailed(error)) {
          const old = field(error, 'Item');
          if (!verifying)
            return { applied: false, ...(isObject(old) ? { state: fromAttributeValues(old) } : {}) };
          // A retry after an unknown outcome: refused because the first attempt was applied?
          const item = isObject(old) ? fromAttributeValueItem(old) : await this.readItem(key);
          const state = toState(item);
          return item.op === token ? { applied: true, state } : { applied: false, state };
        }
        if (!provesNotApplied(error)) {
          // One retry to find out; a second unknown outcome is not chased further.
          if (verifying && isStoreUnavailable(error)) throw unavailable(error);
          verifying = true;
        }
        await this.beforeRetry(attempt, error);
      }
    }
  }

  public async read(key: LimitKey): Promise<LimitState> {
    await this.checkClientOnce();
    return toState(await this.readItem(key));
  }

  public async release(key: LimitKey): Promise<void> {
    await this.checkClientOnce();
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: limitKeys(key),
      UpdateExpression: 'ADD #used :minusOne',
      ConditionExpression: '#used > :zero',
      ExpressionAttributeNames: { '#used': 'used' },
      ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
      ReturnValues: 'NONE',
    });
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.client.send(command);
        return;
      } catch (error) {
        // Nothing reserved to give back (a record that expired, or a month that ended).
        if (isConditionalCheckFailed(error)) return;
        // Sent twice, a release could give back a unit that was used.
        if (!provesNotApplied(error)) throw unavailable(error);
        await this.beforeRetry(attempt, error);
      }
    }
  }

  /** The record's attributes, read strongly consistent (reads are idempotent: every failure is retried). */
  private async readItem(key: LimitKey): Promise<Item> {
    const command = new GetCommand({
      TableName: this.tableName,
      Key: limitKeys(key),
      ConsistentRead: true,
      ProjectionExpression: '#used, #tat, #op',
      ExpressionAttributeNames: { '#used': 'used', '#tat': 'tat', '#op': 'op' },
    });
    for (let attempt = 0; ; attempt += 1) {
      try {
        return (await this.client.send(command)).Item ?? {};
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
    await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
  }

  private async checkClientOnce(): Promise<void> {
    this.clientChecked ??= this.checkClient();
    await this.clientChecked;
  }

  /** A client that retries on its own could apply a reservation twice. */
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

function unavailable(error: unknown): UnavailableError {
  return new UnavailableError(
    'limits_unavailable',
    'The rate limit and quota store is unavailable; the request was not served, retry later',
    { cause: error },
  );
}

function limitKeys(key: LimitKey): Item {
  return { [PK]: `${LIMIT_KEY_PREFIX}${key.tenantId}`, [SK]: key.month };
}

/** TTL of a month's record, in epoch seconds. */
function expiryOf(month: string): number {
  const [year, monthNumber] = month.split('-').map(Number);
  if (year === undefined || monthNumber === undefined) {
    throw new RangeError(`month must be YYYY-MM, got "${month}"`);
  }
  return Date.UTC(year, monthNumber, 1 + KEEP_AFTER_MONTH_DAYS) / 1000;
}

function provesNotApplied(error: unknown): boolean {
  return NOT_APPLIED_NAMES.has(text(error, 'name')) || neverConnected(error, 0);
}

function neverConnected(error: unknown, depth: number): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  if (NOT_CONNECTED_CODES.has(text(error, 'code'))) return true;
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

/**
 * The attributes the limiter reads from an item in the low-level format (a refused
 * condition's `Item`, which the document client does not convert: `{ used: { N: '3' } }`).
 */
function fromAttributeValueItem(item: Item): Item {
  const number = (name: string): number | undefined => {
    const value = Number(text(field(item, name), 'N') || Number.NaN);
    return Number.isFinite(value) ? value : undefined;
  };
  const op = text(field(item, 'op'), 'S');
  return { used: number('used'), tat: number('tat'), ...(op === '' ? {} : { op }) };
}

function fromAttributeValues(item: Item): LimitState {
  return toState(fromAttributeValueItem(item));
}
