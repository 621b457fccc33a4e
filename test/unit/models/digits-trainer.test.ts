import { loadDigits, type DigitsDataset } from '../../../models/recipes/digits/dataset';
import { createMlp, predict, trainStep, createAdamState } from '../../../models/recipes/digits/mlp';
import { trainDigits, type DigitsTrainingResult } from '../../../models/recipes/digits/train';
import { createRandom } from '../../../models/recipes/random';

describe('digits trainer', () => {
  let dataset: DigitsDataset;
  let trained: DigitsTrainingResult;
  const reported: number[] = [];

  beforeAll(async () => {
    dataset = await loadDigits();
    // Four epochs clear the accuracy bar, which keeps the test fast; the recipe runs 20.
    trained = await trainDigits(dataset, { epochs: 4, seed: 42, onEpoch: (m) => reported.push(m.epoch) });
  });

  it('reaches at least 95% accuracy on the held-out 20%', () => {
    expect(trained.split.heldOut).toHaveLength(359);
    expect(trained.final.heldOutAccuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('lowers the loss as it trains', () => {
    const losses = trained.history.map((epoch) => epoch.loss);

    expect(losses[losses.length - 1]).toBeLessThan((losses[0] ?? 0) / 2);
  });

  it('is deterministic for a seed: the same losses twice, other losses for another seed', async () => {
    const first = await trainDigits(dataset, { epochs: 1, seed: 7 });
    const second = await trainDigits(dataset, { epochs: 1, seed: 7 });
    const other = await trainDigits(dataset, { epochs: 1, seed: 8 });

    expect(second.history.map((m) => m.loss)).toEqual(first.history.map((m) => m.loss));
    expect(Array.from(second.mlp.layers[0]?.weights ?? [])).toEqual(
      Array.from(first.mlp.layers[0]?.weights ?? []),
    );
    expect(other.history[0]?.loss).not.toBe(first.history[0]?.loss);
  });

  it('reports every epoch to the callback', () => {
    expect(reported).toEqual([1, 2, 3, 4]);
  });

  it('refuses options it cannot train with, naming each', async () => {
    await expect(trainDigits(dataset, { epochs: 0, batchSize: 1.5, heldOutFraction: 1 })).rejects.toThrow(
      'epochs must be a positive integer, got 0; batchSize must be a positive integer, got 1.5; heldOutFraction must be in (0, 1), got 1',
    );
  });
});

describe('MLP', () => {
  it('outputs probabilities that sum to 1 per row', () => {
    const mlp = createMlp([4, 8, 3], createRandom(1));

    const probabilities = predict(mlp, Float32Array.from([0, 0.5, 1, 0.25, 1, 1, 0, 0]), 2);

    expect(probabilities).toHaveLength(6);
    expect((probabilities[0] ?? 0) + (probabilities[1] ?? 0) + (probabilities[2] ?? 0)).toBeCloseTo(1, 6);
    expect((probabilities[3] ?? 0) + (probabilities[4] ?? 0) + (probabilities[5] ?? 0)).toBeCloseTo(1, 6);
  });

  it('has gradients that match central finite differences', () => {
    const x = Float32Array.from([0.2, 0.9, 0.4, 0.1, 0.7, 0.3, 0.5, 0.8]);
    const labels = Uint8Array.from([2, 0]);
    const sizes = [4, 5, 3];
    const loss = (mlp: ReturnType<typeof createMlp>): number => {
      const p = predict(mlp, x, 2);
      return -(Math.log(p[2] ?? 1) + Math.log(p[3] ?? 1)) / 2;
    };
    const numeric = (layer: number, index: number): number => {
      const plus = createMlp(sizes, createRandom(9));
      const minus = createMlp(sizes, createRandom(9));
      (plus.layers[layer]?.weights ?? new Float32Array())[index] += 1e-2;
      (minus.layers[layer]?.weights ?? new Float32Array())[index] -= 1e-2;
      return (loss(plus) - loss(minus)) / 2e-2;
    };
    // With beta1 = beta2 = 0 and an epsilon far above |g|, Adam's step is lr * g / epsilon:
    // lr = epsilon makes the step the analytic gradient itself.
    const mlp = createMlp(sizes, createRandom(9));
    const before = mlp.layers.map((layer) => Float32Array.from(layer.weights));

    trainStep(mlp, createAdamState(mlp), x, labels, {
      learningRate: 1e6,
      epsilon: 1e6,
      beta1: 0,
      beta2: 0,
      l2: 0,
    });

    let nonZero = 0;
    mlp.layers.forEach((layer, l) => {
      layer.weights.forEach((after, i) => {
        const analytic = (before[l]?.[i] ?? 0) - after;
        expect(analytic).toBeCloseTo(numeric(l, i), 3);
        if (Math.abs(analytic) > 1e-3) nonZero++;
      });
    });
    expect(nonZero).toBeGreaterThan(10);
  });
});
