import type { UsageWrite } from './usage-write';

/**
 * Durable storage for usage writes that could not be applied while the request was served
 * (S3 in production). A spilled write stays until it is replayed and removed; the writer
 * and number it keeps make the replay exactly once (see `UsageWrite`).
 */
export interface UsageSpill {
  /**
   * Keeps a write durably, under its `writeId`. Spilling the same write twice keeps one.
   * Throws when the write could not be kept; the signal aborts the request in flight.
   */
  put(write: UsageWrite, options?: { readonly signal?: AbortSignal }): Promise<void>;
  /** The ids of the spilled writes, page by page, in no particular order. */
  list(): AsyncIterable<string>;
  /**
   * The write kept under `id`, or `undefined` when there is none any more (another replayer
   * removed it). Throws an error naming the object when it cannot be read as a write.
   */
  get(id: string): Promise<UsageWrite | undefined>;
  /** Removes a write; removing one that is gone is not an error. */
  remove(id: string): Promise<void>;
}
