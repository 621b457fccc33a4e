import { createRandom } from '../../../models/recipes/random';

describe('createRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number): number[] => {
      const random = createRandom(seed);
      return Array.from({ length: 5 }, () => random.next());
    };

    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws floats in [0, 1) and integers below the bound', () => {
    const random = createRandom(1);
    const floats = Array.from({ length: 1000 }, () => random.next());
    const ints = Array.from({ length: 1000 }, () => random.int(7));

    expect(Math.min(...floats)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...floats)).toBeLessThan(1);
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
  });

  it('draws normal samples with mean near 0 and variance near 1', () => {
    const random = createRandom(3);
    const samples = Array.from({ length: 20000 }, () => random.normal());
    const mean = samples.reduce((sum, x) => sum + x, 0) / samples.length;
    const variance = samples.reduce((sum, x) => sum + (x - mean) ** 2, 0) / samples.length;

    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('shuffles in place into a permutation', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);

    const shuffled = createRandom(5).shuffle([...items]);

    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
  });

  it('refuses a seed that is not an integer', () => {
    expect(() => createRandom(1.5)).toThrow('seed must be an integer, got 1.5');
  });
});
