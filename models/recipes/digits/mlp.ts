import type { Random } from '../random';

/**
 * A multilayer perceptron over Float32Array: dense layers with ReLU between them and a
 * softmax at the end, trained with cross-entropy, L2 regularization and Adam. No ML
 * library: the loops below are the whole of it.
 */

/** One dense layer: `y = x W + b`, `W` stored `[inputs, outputs]` row-major (ONNX Gemm's B). */
export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/** The network: layer sizes are `[inputs, ...hidden, classes]`. */
export interface Mlp {
  readonly layers: readonly DenseLayer[];
}

/**
 * A network with He-initialized weights (normal, variance 2 / fan-in) and zero biases.
 *
 * @example
 * const mlp = createMlp([64, 256, 128, 10], createRandom(42));
 */
export function createMlp(sizes: readonly number[], random: Random): Mlp {
  if (sizes.length < 2 || sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new RangeError(`sizes must be two or more positive integers, got [${sizes.join(', ')}]`);
  }
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l] ?? 1;
    const outputs = sizes[l + 1] ?? 1;
    const std = Math.sqrt(2 / inputs);
    const weights = new Float32Array(inputs * outputs);
    for (let i = 0; i < weights.length; i++) weights[i] = random.normal() * std;
    layers.push({ inputs, outputs, weights, bias: new Float32Array(outputs) });
  }
  return { layers };
}

/** `out[b, o] = bias[o] + sum_i x[b, i] W[i, o]` for `rows` rows. */
function dense(layer: DenseLayer, x: Float32Array, rows: number): Float32Array {
  const { inputs, outputs, weights, bias } = layer;
  const out = new Float32Array(rows * outputs);
  for (let b = 0; b < rows; b++) {
    const row = b * outputs;
    out.set(bias, row);
    for (let i = 0; i < inputs; i++) {
      const value = x[b * inputs + i];
      if (value === 0) continue; // ReLU outputs and blank pixels are often exactly zero
      const w = i * outputs;
      for (let o = 0; o < outputs; o++) out[row + o] += value * weights[w + o];
    }
  }
  return out;
}

function relu(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) if (values[i] < 0) values[i] = 0;
}

/** Row-wise softmax in place, shifted by each row's maximum for stability. */
export function softmaxRows(values: Float32Array, columns: number): void {
  for (let start = 0; start < values.length; start += columns) {
    let max = -Infinity;
    for (let c = 0; c < columns; c++) max = Math.max(max, values[start + c]);
    let sum = 0;
    for (let c = 0; c < columns; c++) {
      const e = Math.exp(values[start + c] - max);
      values[start + c] = e;
      sum += e;
    }
    for (let c = 0; c < columns; c++) values[start + c] /= sum;
  }
}

/** Activations of every layer for a batch: `[x, h1, ..., probabilities]`. */
function forwardAll(mlp: Mlp, x: Float32Array, rows: number): Float32Array[] {
  const activations = [x];
  mlp.layers.forEach((layer, index) => {
    const out = dense(layer, activations[activations.length - 1] ?? x, rows);
    if (index < mlp.layers.length - 1) relu(out);
    else softmaxRows(out, layer.outputs);
    activations.push(out);
  });
  return activations;
}

/**
 * Class probabilities of `rows` inputs (`rows x inputs`), `rows x classes`.
 *
 * @example
 * const probabilities = predict(mlp, features, count);
 */
export function predict(mlp: Mlp, x: Float32Array, rows: number): Float32Array {
  const all = forwardAll(mlp, x, rows);
  return all[all.length - 1] ?? new Float32Array();
}

/** The index of the largest value of each row. */
export function argmaxRows(values: Float32Array, columns: number): Uint8Array {
  const out = new Uint8Array(values.length / columns);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < columns; c++) if (values[r * columns + c] > values[r * columns + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Mean cross-entropy of probabilities against labels (clamped away from log 0). */
export function crossEntropy(probabilities: Float32Array, labels: Uint8Array, columns: number): number {
  let sum = 0;
  for (let r = 0; r < labels.length; r++)
    sum -= Math.log(Math.max(probabilities[r * columns + labels[r]], 1e-12));
  return sum / labels.length;
}

/** Adam's state: first and second moments per parameter tensor, and the step count. */
export interface AdamState {
  step: number;
  readonly moments: { readonly m: Float32Array; readonly v: Float32Array }[];
}

/** Hyperparameters of one training step. */
export interface StepOptions {
  readonly learningRate: number;
  /** L2 coefficient: adds `l2/2 * sum(W^2)` over weights (not biases) to the loss. */
  readonly l2: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/** Fresh Adam state for a network. */
export function createAdamState(mlp: Mlp): AdamState {
  const moments = mlp.layers
    .flatMap((layer) => [layer.weights, layer.bias])
    .map((params) => ({
      m: new Float32Array(params.length),
      v: new Float32Array(params.length),
    }));
  return { step: 0, moments };
}

/**
 * One mini-batch step of Adam on mean cross-entropy plus L2. Returns the batch's loss
 * (cross-entropy plus the L2 term) before the update.
 */
export function trainStep(
  mlp: Mlp,
  state: AdamState,
  x: Float32Array,
  labels: Uint8Array,
  options: StepOptions,
): number {
  const rows = labels.length;
  const activations = forwardAll(mlp, x, rows);
  const { layers } = mlp;
  const classes = layers[layers.length - 1]?.outputs ?? 1;
  const probabilities = activations[activations.length - 1] ?? new Float32Array();
  let l2Term = 0;
  for (const layer of layers) for (const w of layer.weights) l2Term += w * w;
  const loss = crossEntropy(probabilities, labels, classes) + (options.l2 / 2) * l2Term;

  // dLoss/dlogits = (p - onehot) / rows for softmax with cross-entropy.
  let delta = new Float32Array(probabilities);
  for (let r = 0; r < rows; r++) delta[r * classes + labels[r]] -= 1;
  for (let i = 0; i < delta.length; i++) delta[i] /= rows;

  const gradients: Float32Array[] = [];
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l];
    const input = activations[l];
    const { inputs, outputs, weights } = layer;
    const gradW = new Float32Array(weights.length);
    const gradB = new Float32Array(outputs);
    for (let b = 0; b < rows; b++) {
      for (let o = 0; o < outputs; o++) gradB[o] += delta[b * outputs + o];
      for (let i = 0; i < inputs; i++) {
        const value = input[b * inputs + i];
        if (value === 0) continue;
        const w = i * outputs;
        for (let o = 0; o < outputs; o++) gradW[w + o] += value * delta[b * outputs + o];
      }
    }
    for (let i = 0; i < gradW.length; i++) gradW[i] += options.l2 * weights[i];
    gradients[2 * l] = gradW;
    gradients[2 * l + 1] = gradB;
    if (l === 0) break;
    // Back through the weights and the previous layer's ReLU (zero where its output was).
    const previous = new Float32Array(rows * inputs);
    for (let b = 0; b < rows; b++) {
      for (let i = 0; i < inputs; i++) {
        if (input[b * inputs + i] <= 0) continue;
        const w = i * outputs;
        let sum = 0;
        for (let o = 0; o < outputs; o++) sum += delta[b * outputs + o] * weights[w + o];
        previous[b * inputs + i] = sum;
      }
    }
    delta = previous;
  }

  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  state.step += 1;
  const correction1 = 1 - beta1 ** state.step;
  const correction2 = 1 - beta2 ** state.step;
  const params = layers.flatMap((layer) => [layer.weights, layer.bias]);
  params.forEach((param, p) => {
    const grad = gradients[p];
    const { m, v } = state.moments[p];
    for (let i = 0; i < param.length; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
      v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
      param[i] -= (options.learningRate * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + epsilon);
    }
  });
  return loss;
}
