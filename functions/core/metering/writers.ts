import { randomBytes } from 'node:crypto';
import type { UsageWrite } from './usage-write';

/** A writer of one `Writers` instance and the number of its last opened write. */
interface Slot {
  readonly index: number;
  sequence: number;
}

/**
 * The sequential writers of one store instance, for writes made exactly once by a writer and
 * a number (`UsageWrite`): this instance's random id and a slot, `<id>.<slot>`. A write holds
 * a slot from `open` to `close` (retries included), so each slot's writes reach the table one
 * after another with increasing numbers; concurrent writes take different slots. A slot whose
 * write may still be applied later (its answer was lost, it was spilled for the replay) is
 * retired: no later write of the slot may overtake it and make it a no-op.
 *
 * @example
 * const writers = new Writers();
 * const { writer, sequence } = writers.open(); // { writer: '3f9a1c0d2b4e.0', sequence: 1 }
 * writers.close({ writer, sequence }, true);   // settled: the slot takes the next write
 */
export class Writers {
  /** Tells this instance's writers from other instances' (Lambda environments, processes). */
  public readonly id = randomBytes(6).toString('hex');
  private readonly free: Slot[] = [];
  private readonly held = new Map<number, Slot>();
  private created = 0;

  /** A free writer (a retired one never comes back) and its next number. */
  public open(): Pick<UsageWrite, 'writer' | 'sequence'> {
    const slot = this.free.pop() ?? { index: this.created++, sequence: 0 };
    slot.sequence += 1;
    this.held.set(slot.index, slot);
    return { writer: `${this.id}.${slot.index}`, sequence: slot.sequence };
  }

  /**
   * Ends a write. `settled`: the write was applied, or can never be (every attempt's answer
   * said so); its writer takes the next write. Otherwise the writer is retired for good.
   * Writes of other instances, and writes closed already, are ignored.
   */
  public close(write: Pick<UsageWrite, 'writer' | 'sequence'>, settled: boolean): void {
    const [id, index] = write.writer.split('.');
    if (id !== this.id || index === undefined) return;
    const slot = this.held.get(Number(index));
    if (slot === undefined || slot.sequence !== write.sequence) return;
    this.held.delete(slot.index);
    if (settled) this.free.push(slot);
  }
}
