import type { onnx } from 'onnx-proto';
import type { Tensor } from '../../functions/core/tensors/tensor';
import { createTensorProto } from '../onnx/builder';
import {
  ELEM_TYPE,
  NameAllocator,
  TensorReaders,
  findAttribute,
  floatAttribute,
  initializerMap,
  isDefaultDomain,
  readFloats,
  removeUnusedInitializers,
  tensorDims,
} from './onnx-graph';

/**
 * Passes that put a float model in the shape the quantizer expects, without changing
 * what it computes (up to float rounding).
 */

/**
 * Turns `Constant` nodes of the main graph into initializers. Exporters such as
 * paddle2onnx store every weight as a `Constant`, where the quantizer looks for
 * initializers.
 */
export function constantsToInitializers(graph: onnx.IGraphProto): void {
  const outputs = new Set((graph.output ?? []).map((value) => value.name ?? ''));
  const kept: onnx.INodeProto[] = [];
  const initializers = graph.initializer ?? [];
  for (const node of graph.node ?? []) {
    const name = node.output?.[0] ?? '';
    const tensor =
      node.opType === 'Constant' && isDefaultDomain(node) && !outputs.has(name)
        ? constantValue(node, name)
        : undefined;
    if (tensor === undefined) kept.push(node);
    else initializers.push(tensor);
  }
  graph.node = kept;
  graph.initializer = initializers;
}

function constantValue(node: onnx.INodeProto, name: string): onnx.ITensorProto | undefined {
  const value = findAttribute(node, 'value')?.t;
  if (value) return { ...value, name };
  const float = findAttribute(node, 'value_float');
  if (float)
    return createTensorProto(name, { datatype: 'FP32', shape: [], data: new Float32Array([float.f ?? 0]) });
  const floats = findAttribute(node, 'value_floats');
  if (floats) {
    const data = Float32Array.from(floats.floats ?? []);
    return createTensorProto(name, { datatype: 'FP32', shape: [data.length], data });
  }
  const int = findAttribute(node, 'value_int');
  if (int) {
    return createTensorProto(name, {
      datatype: 'INT64',
      shape: [],
      data: BigInt64Array.of(BigInt(String(int.i ?? 0))),
    });
  }
  const ints = findAttribute(node, 'value_ints');
  if (ints) {
    const data = BigInt64Array.from((ints.ints ?? []).map((value) => BigInt(String(value))));
    return createTensorProto(name, { datatype: 'INT64', shape: [data.length], data });
  }
  return undefined;
}

/**
 * Folds each `BatchNormalization` that directly follows a `Conv` into the convolution's
 * weights and bias: `W' = W * s`, `B' = (B - mean) * s + beta` with
 * `s = scale / sqrt(var + epsilon)` per output channel. onnxruntime does the same when it
 * optimizes a float model; doing it first lets the folded weights be quantized.
 */
export function foldBatchNormalization(graph: onnx.IGraphProto): number {
  const readers = new TensorReaders(graph);
  const initializers = initializerMap(graph);
  const names = new NameAllocator(graph);
  const removed = new Set<onnx.INodeProto>();
  let folded = 0;
  for (const conv of graph.node ?? []) {
    if (conv.opType !== 'Conv' || !isDefaultDomain(conv)) continue;
    const convOutput = conv.output?.[0] ?? '';
    const norm = readers.single(convOutput);
    if (norm === undefined || norm.opType !== 'BatchNormalization' || !isDefaultDomain(norm)) continue;
    if ((norm.output ?? []).slice(1).some((name) => name !== '')) continue; // training outputs
    if (findAttribute(norm, 'training_mode')?.i) continue;
    const weightTensor = initializers.get(conv.input?.[1] ?? '');
    const weights = weightTensor === undefined ? undefined : readFloats(weightTensor);
    const biasName = conv.input?.[2] ?? '';
    const bias = biasName === '' ? undefined : readInitializerFloats(initializers, biasName);
    const [scale, beta, mean, variance] = (norm.input ?? [])
      .slice(1, 5)
      .map((name) => readInitializerFloats(initializers, name));
    if (weightTensor === undefined || weights === undefined || (biasName !== '' && bias === undefined))
      continue;
    if (scale === undefined || beta === undefined || mean === undefined || variance === undefined) continue;
    const dims = tensorDims(weightTensor);
    const channels = dims[0] ?? 0;
    if ([scale, beta, mean, variance].some((values) => values.length !== channels)) continue;
    if (bias !== undefined && bias.length !== channels) continue;

    const epsilon = floatAttribute(norm, 'epsilon', 1e-5);
    const perChannel = weights.length / channels;
    const foldedWeights = new Float32Array(weights.length);
    const foldedBias = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const factor = (scale[c] ?? 0) / Math.sqrt((variance[c] ?? 0) + epsilon);
      for (let i = c * perChannel; i < (c + 1) * perChannel; i++)
        foldedWeights[i] = (weights[i] ?? 0) * factor;
      foldedBias[c] = ((bias?.[c] ?? 0) - (mean[c] ?? 0)) * factor + (beta[c] ?? 0);
    }
    // Rewritten in place when the conv alone reads them, else as new initializers.
    const weightName = store(graph, readers, names, conv.input?.[1] ?? '', {
      datatype: 'FP32',
      shape: dims,
      data: foldedWeights,
    });
    const foldedBiasName = store(graph, readers, names, biasName || `${weightName}_bias`, {
      datatype: 'FP32',
      shape: [channels],
      data: foldedBias,
    });
    conv.input = [conv.input?.[0] ?? '', weightName, foldedBiasName];
    conv.output = [norm.output?.[0] ?? ''];
    removed.add(norm);
    folded++;
  }
  graph.node = (graph.node ?? []).filter((node) => !removed.has(node));
  removeUnusedInitializers(graph);
  return folded;
}

/**
 * Stores `tensor` under the initializer `name` when only one node reads it, else under a
 * fresh name derived from it. Returns the name used.
 */
function store(
  graph: onnx.IGraphProto,
  readers: TensorReaders,
  names: NameAllocator,
  name: string,
  tensor: Tensor,
): string {
  const initializers = graph.initializer ?? [];
  const index = initializers.findIndex((initializer) => initializer.name === name);
  if (name !== '' && index >= 0 && readers.of(name).length === 1 && !readers.isExternal(name)) {
    initializers[index] = createTensorProto(name, tensor);
    return name;
  }
  const fresh = names.fresh(index >= 0 ? `${name}_folded` : name);
  graph.initializer = [...initializers, createTensorProto(fresh, tensor)];
  return fresh;
}

function readInitializerFloats(
  initializers: ReadonlyMap<string, onnx.ITensorProto>,
  name: string,
): Float32Array | undefined {
  const tensor = initializers.get(name);
  return tensor === undefined || tensor.dataType !== ELEM_TYPE.FLOAT ? undefined : readFloats(tensor);
}
