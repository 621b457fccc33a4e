import { mulberry32 } from '../random';
import type { Datatype, TensorSpec } from '../tensors/datatypes';
import { toFloat16Bits } from '../tensors/float16';
import { elementCount, type Tensor, type TensorData } from '../tensors/tensor';

/** One input per model input name. */
export type Feeds = Readonly<Record<string, Tensor>>;

/**
 * Sizes tried for dynamic dimensions that are not leading, largest first: 32 suits most
 * convolutional models (strides and pooling need multiples of 32; smaller sizes can leave
 * a layer with an odd size to broadcast) and sequence models alike. A smaller one is used
 * only when 32 would make an input larger than {@link MAX_SAMPLE_ELEMENTS}.
 */
const INNER_SIZES = [32, 8, 1] as const;

/** The largest generated input, in elements. */
export const MAX_SAMPLE_ELEMENTS = 1 << 20;

const WORDS = ['infergate', 'sample', 'model', 'input', 'text', 'hello', 'world', 'onnx'] as const;

/**
 * Concrete shapes for inputs with dynamic dimensions. A dynamic dimension first seen in
 * leading position (a batch) is 1; any other is 32 (or 8, or 1 when an input would get
 * larger than {@link MAX_SAMPLE_ELEMENTS}). Dimensions with the same name
 * (`dim_param`) get the same size everywhere, so inputs that must agree do.
 *
 * @param dimNames - the `dim_param` of each dimension by input name (`readOnnxSchema`)
 * @example
 * sampleShapes([{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }], {});
 * // { x: [1, 3, 32, 32] }
 */
export function sampleShapes(
  inputs: readonly TensorSpec[],
  dimNames: Readonly<Record<string, readonly (string | undefined)[]>>,
): Record<string, number[]> {
  for (const inner of INNER_SIZES) {
    const shapes = shapesWith(inputs, dimNames, inner);
    const largest = Math.max(0, ...Object.values(shapes).map(elementCount));
    if (largest <= MAX_SAMPLE_ELEMENTS || inner === 1) return shapes;
  }
  throw new Error('unreachable: the last size is always accepted');
}

function shapesWith(
  inputs: readonly TensorSpec[],
  dimNames: Readonly<Record<string, readonly (string | undefined)[]>>,
  inner: number,
): Record<string, number[]> {
  const named = new Map<string, number>();
  const shapes: Record<string, number[]> = {};
  for (const spec of inputs) {
    const names = dimNames[spec.name] ?? [];
    shapes[spec.name] = spec.shape.map((dim, axis) => {
      if (dim >= 0) return dim;
      const size = axis === 0 ? 1 : inner;
      const name = names[axis];
      if (name === undefined) return size;
      const known = named.get(name);
      if (known !== undefined) return known;
      named.set(name, size);
      return size;
    });
  }
  return shapes;
}

/**
 * `count` seeded inputs of the given shapes, the same for the same seed: floats uniform in
 * [-1, 1], integers in [0, 4) (valid as indices and as small counts), booleans at random,
 * strings from a few words. Sample `i` is the same whatever `count` is.
 */
export function sampleFeeds(
  inputs: readonly TensorSpec[],
  shapes: Readonly<Record<string, readonly number[]>>,
  options: { readonly count: number; readonly seed: number },
): Feeds[] {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new RangeError(`count must be a positive integer, got ${options.count}`);
  }
  const next = mulberry32(options.seed);
  return Array.from({ length: options.count }, () => {
    const feeds: Record<string, Tensor> = {};
    for (const spec of inputs) {
      const shape = shapes[spec.name] ?? spec.shape;
      feeds[spec.name] = {
        datatype: spec.datatype,
        shape,
        data: randomTensorData(spec.datatype, elementCount(shape), next),
      };
    }
    return feeds;
  });
}

/**
 * `count` seeded values of a datatype: floats in [-1, 1), integers in [0, `integerBound`),
 * booleans, short words.
 */
export function randomTensorData(
  datatype: Datatype,
  count: number,
  next: () => number,
  integerBound = 4,
): TensorData {
  const float = (): number => next() * 2 - 1;
  const small = (): number => Math.floor(next() * integerBound);
  switch (datatype) {
    case 'FP32':
      return Float32Array.from({ length: count }, float);
    case 'FP64':
      return Float64Array.from({ length: count }, float);
    case 'FP16':
      return Uint16Array.from({ length: count }, () => toFloat16Bits(float()));
    case 'BOOL':
      return Uint8Array.from({ length: count }, () => (next() < 0.5 ? 0 : 1));
    case 'UINT8':
      return Uint8Array.from({ length: count }, small);
    case 'INT8':
      return Int8Array.from({ length: count }, small);
    case 'UINT16':
      return Uint16Array.from({ length: count }, small);
    case 'INT16':
      return Int16Array.from({ length: count }, small);
    case 'UINT32':
      return Uint32Array.from({ length: count }, small);
    case 'INT32':
      return Int32Array.from({ length: count }, small);
    case 'UINT64':
      return BigUint64Array.from({ length: count }, () => BigInt(small()));
    case 'INT64':
      return BigInt64Array.from({ length: count }, () => BigInt(small()));
    case 'BYTES':
      return Array.from({ length: count }, () => WORDS[Math.floor(next() * WORDS.length)] ?? 'sample');
  }
}

/** `x FP32 [1, 3]` for messages. */
export function describeFeeds(feeds: Feeds): string {
  return Object.entries(feeds)
    .map(([name, tensor]) => `${name} ${tensor.datatype} [${tensor.shape.join(', ')}]`)
    .join(', ');
}
