import { mulberry32 } from '../../functions/core/random';

/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every platform, which makes training runs and synthetic data reproducible.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, bound). */
  int(bound: number): number;
  /** A standard normal sample (Box-Muller). */
  normal(): number;
  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
}

/**
 * Creates a generator from a 32-bit seed.
 *
 * @example
 * const random = createRandom(42);
 * random.next(); // always the same first value for seed 42
 */
export function createRandom(seed: number): Random {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const next = mulberry32(seed);
  const int = (bound: number): number => Math.floor(next() * bound);
  return {
    next,
    int,
    normal() {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [items[i], items[j]] = [items[j], items[i]];
      }
      return items;
    },
  };
}
