import type { UsageEvent, UsageStore } from './types';

/**
 * One usage event bound to the writer and the sequence number that make its write exactly
 * once. The store applies a write only if its number is above the last one the writer
 * applied to the event's counter item, and takes any other as counted already. The same
 * write can therefore be sent any number of times, from any process (a retry, a replay of
 * the spill), and it counts once.
 */
export interface UsageWrite {
  readonly event: UsageEvent;
  /** The writer whose counter items take the event: one store instance's id and a slot. */
  readonly writer: string;
  /** The writer's number for this write: 1, 2, 3, ... in the order its writes were opened. */
  readonly sequence: number;
  /**
   * Where the write goes. Absent: the writer's usage row of the event's day, model version
   * and plan. `month`: the tenant's month item, the limiter's (see `LimitStore.admit`): the
   * write also counts one request of the monthly quota, and adds the counters of `steps` with
   * the event's. Such a write is spilled when the admit-and-meter write of a request that was
   * served had an unknown outcome; the replay applies it without the limits' conditions.
   */
  readonly target?: 'month';
  /** The successful pipeline steps of the same request (`target: 'month'` only). */
  readonly steps?: readonly UsageEvent[];
  /**
   * The day (`YYYY-MM-DD`, in the event's month) of the limiter's record the write was sent to
   * (`target: 'month'` only: the tenant keeps one record per day, see `LimitStore`); the replay
   * applies the write there, where its writer's number makes it exactly once. Absent: the
   * event's own day.
   */
  readonly day?: string;
}

/** The events a write counts: its event, then its steps. */
export function eventsOf(write: Pick<UsageWrite, 'event' | 'steps'>): readonly UsageEvent[] {
  return [write.event, ...(write.steps ?? [])];
}

/**
 * A usage store whose writes can be retried and replayed exactly once: what the durable
 * recorder and the replayer need from the counters (DynamoDB in production).
 *
 * Protocol: `open` an event (it takes a writer and its next number), `apply` the write as
 * many times as needed, then `close` it. A writer takes one write at a time, so only the
 * write at hand can meet its own number. A write closed as not applied may still be
 * applied later (its answer was lost, or it is spilled and replayed), so its writer is
 * retired: no later write of that writer can overtake it and make its replay a no-op.
 */
export interface SequencedUsageStore extends UsageStore {
  /**
   * Binds an event to a free writer and that writer's next number. Checks the event
   * (`RangeError` when a counter is not a finite number >= 0); does no I/O.
   */
  open(event: UsageEvent): UsageWrite;
  /**
   * Applies a write once: when it (or a later write of its writer) was applied already, it
   * is a no-op. Throws `UnavailableError` when a retry later can succeed (throttling, a
   * service fault, a timeout, the network); the signal aborts the request in flight.
   */
  apply(write: UsageWrite, options?: { readonly signal?: AbortSignal }): Promise<void>;
  /** Ends a write: an applied one frees its writer, any other retires it for good. */
  close(write: UsageWrite, applied: boolean): void;
}

/** Characters a writer id may hold: it ends up in item keys and in object keys of the spill. */
export const WRITER_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The id of a write, unique across every writer and every write: `<writer>-<sequence>`.
 *
 * @example
 * writeId({ event, writer: '3f9a1c0d2b4e.0', sequence: 12 }); // '3f9a1c0d2b4e.0-12'
 */
export function writeId(write: Pick<UsageWrite, 'writer' | 'sequence'>): string {
  if (!WRITER_PATTERN.test(write.writer)) {
    throw new RangeError(`write.writer must match ${WRITER_PATTERN}, got "${write.writer.slice(0, 80)}"`);
  }
  if (!(Number.isSafeInteger(write.sequence) && write.sequence > 0)) {
    throw new RangeError(`write.sequence must be a positive integer, got ${write.sequence}`);
  }
  return `${write.writer}-${write.sequence}`;
}
