import type { UsageEvent, UsageRow } from '../../core/metering/types';
import { eventsOf, type UsageWrite } from '../../core/metering/usage-write';
import { field, text } from '../sdk-errors';
import { ENTITY_TYPE_ATTRIBUTE, TABLE_DESIGN, USAGE_KEY_PREFIX } from './table-design';

type Item = Record<string, unknown>;

const { partitionKey: PK, sortKey: SK } = TABLE_DESIGN;
const BY_MONTH = TABLE_DESIGN.globalSecondaryIndexes.usageByMonth;

/**
 * Prefix of the sort keys of a tenant's limit items in its usage partition
 * (`USAGE#<tenantId>#<YYYY-MM>`): one item per UTC day, `LIMIT#<DD>`. Usage rows' sort keys
 * start with a day (`YYYY-MM-DD#...`), so they never meet them.
 */
export const LIMIT_ITEM_SORT_KEY_PREFIX = 'LIMIT#';

/** Month items are kept this long after their month ends, then expire (TTL). */
const KEEP_AFTER_MONTH_DAYS = 92;

/**
 * `sealed` of a day item still open. Once its day is over it holds the day (`DD`) its state was
 * carried to: the same width, so sealing never grows an item (one too full to take more
 * counters can still be sealed).
 */
export const OPEN_DAY_ITEM = '--';

/**
 * Prefixes of a day item's counter attributes, one attribute per counter and counter key
 * `<DD>#<model>#<version>#<plan>` (the day the request arrived: usually the item's own day, the
 * previous one for a request admitted just after midnight). Successful requests only: failures
 * are metered as usage rows, never admitted.
 */
const COUNTER_PREFIXES = {
  requests: 'r|',
  computeMs: 'c|',
  inputBytes: 'i|',
  outputBytes: 'o|',
} as const;

/** Prefix of the attributes holding each writer's last applied write number: `w|<writer>`. */
const WRITER_PREFIX = 'w|';

/** The parts of one `UpdateItem` on a day item, gathered before the expression is written. */
export interface MonthUpdate {
  readonly names: Record<string, string>;
  readonly values: Item;
  readonly sets: string[];
  readonly adds: string[];
  readonly conditions: string[];
}

/** The carried part of a day item: the month's running `used` and the GCRA's `tat`. */
export interface CarriedState {
  readonly used: number;
  readonly tat?: number;
}

/** Keys of a tenant's limit item of day `day` (`DD`) of `month` (`YYYY-MM`). */
export function dayItemKey(tenantId: string, month: string, day: string): Item {
  return { [PK]: `${USAGE_KEY_PREFIX}${tenantId}#${month}`, [SK]: `${LIMIT_ITEM_SORT_KEY_PREFIX}${day}` };
}

/** True for a day item among the items of a usage partition or of the usage index. */
export function isDayItem(item: Item): boolean {
  const sortKey = item[SK];
  return typeof sortKey === 'string' && sortKey.startsWith(LIMIT_ITEM_SORT_KEY_PREFIX);
}

/** The day (`DD`) of a day item, from its sort key. */
export function dayOfItem(item: Item): string {
  const sortKey = item[SK];
  const day = typeof sortKey === 'string' ? sortKey.slice(LIMIT_ITEM_SORT_KEY_PREFIX.length) : '';
  if (!/^\d{2}$/.test(day)) throw new Error(`item ${String(item[PK])}/${String(sortKey)} is not a day item`);
  return day;
}

/**
 * The day (`DD`) whose item an admission at `nowUs` writes to in `month`: the UTC day of the
 * write, kept inside the month the request arrived in (a request received on the month's last
 * evening and admitted after midnight counts in that month, in its last day's item).
 *
 * @example
 * admissionDay('2026-05', Date.parse('2026-05-20T23:00:00Z') * 1000); // '20'
 * admissionDay('2026-05', Date.parse('2026-06-01T00:00:01Z') * 1000); // '31'
 */
export function admissionDay(month: string, nowUs: number): string {
  const date = new Date(Math.floor(nowUs / 1000)).toISOString().slice(0, 10);
  if (date.startsWith(`${month}-`)) return date.slice(8);
  if (date < month) return '01';
  const [year, monthNumber] = month.split('-').map(Number);
  if (year === undefined || monthNumber === undefined) {
    throw new RangeError(`month must be YYYY-MM, got "${month}"`);
  }
  return String(new Date(Date.UTC(year, monthNumber, 0)).getUTCDate()).padStart(2, '0');
}

/**
 * A new day item, as `PutItem` takes it: its descriptive attributes (`entity`, `tenantId`,
 * `month`, `day`, the TTL and the usage index keys, written once here and never again), open
 * (`sealed = '--'`), with the state carried from the day before.
 */
export function seededDayItem(tenantId: string, month: string, day: string, carried: CarriedState): Item {
  return {
    ...dayItemKey(tenantId, month, day),
    [ENTITY_TYPE_ATTRIBUTE]: 'LIMIT',
    tenantId,
    month,
    day,
    [TABLE_DESIGN.timeToLiveAttribute]: expiryOf(month),
    [BY_MONTH.partitionKey]: `USAGEMONTH#${month}`,
    [BY_MONTH.sortKey]: `${tenantId}#${LIMIT_ITEM_SORT_KEY_PREFIX}${day}`,
    sealed: OPEN_DAY_ITEM,
    used: carried.used,
    ...(carried.tat === undefined ? {} : { tat: carried.tat }),
  };
}

/** An empty update of a day item. */
export function emptyUpdate(): MonthUpdate {
  return { names: {}, values: {}, sets: [], adds: [], conditions: [] };
}

/**
 * The condition of a write that admits a request: the item exists (it was seeded with the state
 * carried from the day before) and is not sealed (its day is over: the month's state has moved
 * on to a later item). `sealed = '--'` says both.
 */
export function addOpenItemConditions(update: MonthUpdate): void {
  update.names['#sealed'] = 'sealed';
  update.values[':open'] = OPEN_DAY_ITEM;
  update.conditions.push('#sealed = :open');
}

/** The day (`DD`) a sealed day item's state was carried to; `undefined` while it is open. */
export function successorOf(sealed: unknown): string | undefined {
  return typeof sealed === 'string' && sealed !== OPEN_DAY_ITEM ? sealed : undefined;
}

/**
 * Adds one request of the quota (`ADD used 1`) and the counters of the write's events to an
 * update, with the write's writer and number: the update applies only if the item has not
 * taken this write (or a later one of its writer) yet, and records it.
 */
export function addMeteredWrite(update: MonthUpdate, month: string, write: UsageWrite): void {
  update.names['#used'] = 'used';
  update.values[':one'] = 1;
  update.adds.push('#used :one');
  const totals = new Map<string, Record<keyof typeof COUNTER_PREFIXES, number>>();
  for (const event of eventsOf(write)) {
    const key = counterKey(event, month);
    const sum = totals.get(key) ?? { requests: 0, computeMs: 0, inputBytes: 0, outputBytes: 0 };
    sum.requests += 1;
    sum.computeMs += event.computeMs;
    sum.inputBytes += event.inputBytes;
    sum.outputBytes += event.outputBytes;
    totals.set(key, sum);
  }
  let index = 0;
  for (const [key, sum] of totals) {
    for (const [counter, prefix] of Object.entries(COUNTER_PREFIXES)) {
      update.names[`#k${index}`] = `${prefix}${key}`;
      update.values[`:k${index}`] = sum[counter as keyof typeof COUNTER_PREFIXES];
      update.adds.push(`#k${index} :k${index}`);
      index += 1;
    }
  }
  update.names['#w'] = writerAttribute(write.writer);
  update.values[':seq'] = write.sequence;
  update.sets.push('#w = :seq');
  update.conditions.push('(attribute_not_exists(#w) OR #w < :seq)');
}

/** The update as `UpdateItem` input fields. */
export function updateInput(update: MonthUpdate) {
  const sets = update.sets.length > 0 ? `SET ${update.sets.join(', ')}` : '';
  const adds = update.adds.length > 0 ? `ADD ${update.adds.join(', ')}` : '';
  return {
    UpdateExpression: [sets, adds].filter((part) => part !== '').join(' '),
    ...(update.conditions.length > 0 ? { ConditionExpression: update.conditions.join(' AND ') } : {}),
    ExpressionAttributeNames: update.names,
    ExpressionAttributeValues: update.values,
  };
}

/** The attribute that holds a writer's last applied write number. */
export function writerAttribute(writer: string): string {
  return `${WRITER_PREFIX}${writer}`;
}

/**
 * The usage rows a day item holds, one per counter key (no errors: failures are rows of
 * their own). Throws an error naming the attribute when the item is malformed.
 */
export function rowsOfDayItem(item: Item): UsageRow[] {
  const tenantId = item.tenantId;
  const month = item.month;
  if (typeof tenantId !== 'string' || typeof month !== 'string') {
    throw new Error(
      `day item ${String(item[PK])}/${String(item[SK])}: attributes "tenantId" and "month" must be strings`,
    );
  }
  const rows = new Map<string, { -readonly [K in keyof UsageRow]: UsageRow[K] }>();
  for (const [name, value] of Object.entries(item)) {
    const counter = (Object.keys(COUNTER_PREFIXES) as (keyof typeof COUNTER_PREFIXES)[]).find((key) =>
      name.startsWith(COUNTER_PREFIXES[key]),
    );
    if (counter === undefined) continue;
    const key = name.slice(COUNTER_PREFIXES[counter].length);
    const [day, modelName, version, plan, ...rest] = key.split('#');
    if (
      typeof value !== 'number' ||
      day === undefined ||
      !/^\d{2}$/.test(day) ||
      modelName === undefined ||
      version === undefined ||
      plan === undefined ||
      rest.length > 0
    ) {
      throw new Error(
        `day item ${String(item[PK])}/${String(item[SK])}: attribute "${name}" is not a counter`,
      );
    }
    const row = rows.get(key) ?? {
      tenantId,
      day: `${month}-${day}`,
      modelName,
      version,
      plan,
      requests: 0,
      errors: 0,
      computeMs: 0,
      inputBytes: 0,
      outputBytes: 0,
    };
    row[counter] = value;
    rows.set(key, row);
  }
  return [...rows.values()];
}

/**
 * True when DynamoDB refused a write because the item would pass its 400 KB limit
 * (`ValidationException: Item size to update has exceeded the maximum allowed size`; dynalite
 * answers the same).
 */
export function isItemTooLarge(error: unknown): boolean {
  return text(error, 'name') === 'ValidationException' && /item size/i.test(text(error, 'message'));
}

/** Reads a number attribute of an item in the low-level format (`{ N: '3' }`). */
export function lowLevelNumber(item: Item, name: string): number | undefined {
  const value = Number(text(field(item, name), 'N') || Number.NaN);
  return Number.isFinite(value) ? value : undefined;
}

/** TTL of a month's item, in epoch seconds. */
function expiryOf(month: string): number {
  const [year, monthNumber] = month.split('-').map(Number);
  if (year === undefined || monthNumber === undefined) {
    throw new RangeError(`month must be YYYY-MM, got "${month}"`);
  }
  return Date.UTC(year, monthNumber, 1 + KEEP_AFTER_MONTH_DAYS) / 1000;
}

function counterKey(event: UsageEvent, month: string): string {
  const day = event.at.toISOString().slice(0, 10);
  if (event.error) throw new RangeError('a day item counts successful requests only, got an error');
  if (!day.startsWith(`${month}-`)) {
    throw new RangeError(`an event of ${day} cannot be counted in a day item of ${month}`);
  }
  for (const name of ['computeMs', 'inputBytes', 'outputBytes'] as const) {
    if (!(Number.isFinite(event[name]) && event[name] >= 0)) {
      throw new RangeError(`event.${name} must be a finite number >= 0, got ${event[name]}`);
    }
  }
  return `${day.slice(8)}#${event.modelName}#${event.version}#${event.plan}`;
}
