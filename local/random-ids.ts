import { randomFillSync } from 'node:crypto';

const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

/**
 * Random bytes for ids, drawn from a pool refilled 4 KiB at a time (as Node does for
 * `randomUUID`): a `randomBytes` call per id costs a few microseconds of syscall, and
 * ids are made on every request. The returned view is valid until the next call:
 * encode it at once.
 *
 * @example
 * const requestId = pooledRandomBytes(11).toString('base64');
 */
export function pooledRandomBytes(size: number): Buffer {
  if (size > pool.length) throw new RangeError(`size must be at most ${pool.length}, got ${size}`);
  if (offset + size > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + size);
  offset += size;
  return bytes;
}
