import type { onnx } from 'onnx-proto';
import {
  ELEM_TYPE,
  initializerMap,
  intAttribute,
  isDefaultDomain,
  readFloats,
  tensorDims,
} from './onnx-graph';

/** An operator whose float weights the quantizer turns into int8. */
export interface WeightTarget {
  readonly node: onnx.INodeProto;
  readonly op: 'Conv' | 'MatMul' | 'Gemm';
  /** Name of the weight initializer (input 1). */
  readonly weightName: string;
  readonly weights: Float32Array;
  readonly dims: readonly number[];
  /** Axis of the weight's output channels: 0 for Conv, 1 for MatMul, 0 or 1 for Gemm by `transB`. */
  readonly channelAxis: number;
  /** Name of a float bias initializer (Conv input 2, Gemm input C), when there is one. */
  readonly biasName?: string;
  readonly bias?: Float32Array;
}

/**
 * The Conv, MatMul and Gemm nodes of the main graph whose weights are float initializers:
 * Conv weights of rank 3 or more, MatMul and Gemm weights of rank 2 (`transA` unset).
 */
export function findWeightTargets(graph: onnx.IGraphProto): WeightTarget[] {
  const initializers = initializerMap(graph);
  const floatsOf = (name: string | undefined): { values: Float32Array; dims: number[] } | undefined => {
    const tensor = name === undefined || name === '' ? undefined : initializers.get(name);
    if (tensor === undefined || tensor.dataType !== ELEM_TYPE.FLOAT) return undefined;
    const values = readFloats(tensor);
    return values === undefined ? undefined : { values, dims: tensorDims(tensor) };
  };
  const targets: WeightTarget[] = [];
  for (const node of graph.node ?? []) {
    const op = node.opType;
    if (!isDefaultDomain(node) || (op !== 'Conv' && op !== 'MatMul' && op !== 'Gemm')) continue;
    if (initializers.has(node.input?.[0] ?? '')) continue; // both operands constant: left to folding
    const weightName = node.input?.[1] ?? '';
    const weight = floatsOf(weightName);
    if (weight === undefined) continue;
    const rank = weight.dims.length;
    const biasName = op === 'MatMul' ? undefined : node.input?.[2];
    const bias = floatsOf(biasName);
    const common = { node, weightName, weights: weight.values, dims: weight.dims };
    const withBias =
      biasName !== undefined && biasName !== '' && bias !== undefined ? { biasName, bias: bias.values } : {};
    if (op === 'Conv' && rank >= 3) targets.push({ ...common, op, channelAxis: 0, ...withBias });
    if (op === 'MatMul' && rank === 2) targets.push({ ...common, op, channelAxis: 1 });
    if (op === 'Gemm' && rank === 2 && intAttribute(node, 'transA', 0) === 0) {
      const biasFits =
        bias === undefined ||
        bias.values.length === weight.dims[intAttribute(node, 'transB', 0) === 1 ? 0 : 1];
      targets.push({
        ...common,
        op,
        channelAxis: intAttribute(node, 'transB', 0) === 1 ? 0 : 1,
        ...(biasFits ? withBias : {}),
      });
    }
  }
  return targets;
}
