import type { onnx } from 'onnx-proto';
import { createNodeProto, createTensorProto } from '../onnx/builder';
import {
  NameAllocator,
  defaultOpset,
  findAttribute,
  floatAttribute,
  intAttribute,
  intsAttribute,
  isDefaultDomain,
  removeAttribute,
  setAttribute,
  setDefaultOpset,
  subgraphsOf,
} from './onnx-graph';

/**
 * Raises the default operator set of a model from 9-12 to 13, the first with per-channel
 * QuantizeLinear/DequantizeLinear. Only graphs whose every operator is known to keep its
 * meaning are raised: operators whose attributes became inputs (Clip, Slice, Pad, Squeeze,
 * Unsqueeze, Split, ReduceSum) are rewritten, Softmax's changed axis semantics are kept
 * exactly, Dropout becomes Identity; anything else leaves the model untouched.
 */

/** Operators whose inference semantics are the same from opset 9 to 13. */
const UNCHANGED = new Set([
  'Abs', 'Acos', 'Acosh', 'Add', 'And', 'ArgMax', 'ArgMin', 'Asin', 'Asinh', 'Atan', 'Atanh',
  'AveragePool', 'BatchNormalization', 'Cast', 'Ceil', 'Concat', 'Constant', 'ConstantOfShape',
  'Conv', 'ConvInteger', 'ConvTranspose', 'Cos', 'Cosh', 'DepthToSpace', 'DequantizeLinear', 'Div',
  'Elu', 'Equal', 'Erf', 'Exp', 'Expand', 'Flatten', 'Floor', 'Gather', 'Gemm', 'GlobalAveragePool',
  'GlobalMaxPool', 'Greater', 'HardSigmoid', 'Identity', 'InstanceNormalization', 'IsInf', 'IsNaN',
  'LRN', 'LeakyRelu', 'Less', 'Log', 'MatMul', 'MatMulInteger', 'Max', 'MaxPool', 'Mean', 'Min',
  'Mul', 'Neg', 'Not', 'Or', 'PRelu', 'Pow', 'QLinearConv', 'QLinearMatMul', 'QuantizeLinear',
  'Reciprocal', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMean',
  'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'Relu', 'Reshape', 'Round', 'Selu', 'Shape', 'Sigmoid',
  'Sign', 'Sin', 'Sinh', 'Size', 'Softplus', 'Softsign', 'SpaceToDepth', 'Sqrt', 'Sub', 'Sum', 'Tan',
  'Tanh', 'Tile', 'Transpose', 'Where', 'Xor',
]); // prettier-ignore

/** Operators rewritten by this pass. */
const REWRITTEN = new Set([
  'Clip', 'Slice', 'Pad', 'Squeeze', 'Unsqueeze', 'Split', 'ReduceSum', 'Softmax', 'LogSoftmax',
  'Hardmax', 'Dropout',
]); // prettier-ignore

/** The oldest opset this pass upgrades from. */
export const OLDEST_UPGRADABLE_OPSET = 9;

/** Why a model cannot be raised to `target`, or an empty list when it can. */
export function opsetUpgradeProblems(model: onnx.IModelProto, target: number): string[] {
  const current = defaultOpset(model);
  if (current >= target) return [];
  if (current < OLDEST_UPGRADABLE_OPSET) return [`opset ${current} is older than ${OLDEST_UPGRADABLE_OPSET}`];
  if (target > 13) return [`upgrades go up to opset 13, not ${target}`];
  const unknown = new Set<string>();
  const visit = (graph: onnx.IGraphProto): void => {
    for (const node of graph.node ?? []) {
      const op = node.opType ?? '';
      if (isDefaultDomain(node) && !UNCHANGED.has(op) && !REWRITTEN.has(op)) unknown.add(op);
      if (op === 'Slice' && current < 10 && intsAttribute(node, 'starts') === undefined) unknown.add('Slice');
      subgraphsOf(node).forEach(visit);
    }
  };
  if (model.graph) visit(model.graph);
  return [...unknown].sort().map((op) => `operator ${op} changed between opset ${current} and ${target}`);
}

/**
 * Raises the model's default opset to 13 when {@link opsetUpgradeProblems} finds none.
 * Returns whether the model now has opset 13 or more.
 */
export function upgradeOpset(model: onnx.IModelProto, target = 13): boolean {
  const current = defaultOpset(model);
  if (current >= target) return true;
  if (opsetUpgradeProblems(model, target).length > 0 || !model.graph) return false;
  const names = new NameAllocator(model.graph);
  const outputRanks = new Map<string, number>();
  for (const value of [...(model.graph.output ?? []), ...(model.graph.valueInfo ?? [])]) {
    const dims = value.type?.tensorType?.shape?.dim;
    if (dims) outputRanks.set(value.name ?? '', dims.length);
  }
  const upgrade = (graph: onnx.IGraphProto): void => {
    const nodes: onnx.INodeProto[] = [];
    for (const node of graph.node ?? []) {
      subgraphsOf(node).forEach(upgrade);
      if (!isDefaultDomain(node)) {
        nodes.push(node);
        continue;
      }
      nodes.push(...rewrite(node, current, graph, names, outputRanks));
    }
    graph.node = nodes;
  };
  upgrade(model.graph);
  setDefaultOpset(model, target);
  return true;
}

function rewrite(
  node: onnx.INodeProto,
  from: number,
  graph: onnx.IGraphProto,
  names: NameAllocator,
  ranks: ReadonlyMap<string, number>,
): onnx.INodeProto[] {
  const inputs = [...(node.input ?? [])];
  const constant = (base: string, tensor: onnx.ITensorProto): string => {
    const name = names.fresh(`${node.name || node.opType || 'node'}_${base}`);
    graph.initializer = [...(graph.initializer ?? []), { ...tensor, name }];
    return name;
  };
  const int64s = (base: string, values: readonly number[]): string =>
    constant(
      base,
      createTensorProto('', { datatype: 'INT64', shape: [values.length], data: toInt64(values) }),
    );
  const float = (base: string, value: number): string =>
    constant(base, createTensorProto('', { datatype: 'FP32', shape: [], data: new Float32Array([value]) }));
  const moveAxes = (attribute: string): void => {
    const axes = intsAttribute(node, attribute);
    removeAttribute(node, attribute);
    if (axes !== undefined) inputs[1] = int64s(attribute, axes);
  };

  switch (node.opType) {
    case 'Clip':
      if (from < 11) {
        const min = findAttribute(node, 'min');
        const max = findAttribute(node, 'max');
        removeAttribute(node, 'min');
        removeAttribute(node, 'max');
        // Clip's bounds must have the input's type; float models are what this pass serves.
        inputs[1] = min === undefined ? '' : float('min', min.f ?? 0);
        inputs[2] = max === undefined ? '' : float('max', max.f ?? 0);
        while (inputs[inputs.length - 1] === '') inputs.pop();
      }
      break;
    case 'Slice':
      if (from < 10) {
        const starts = intsAttribute(node, 'starts') ?? [];
        const ends = intsAttribute(node, 'ends') ?? [];
        const axes = intsAttribute(node, 'axes');
        for (const name of ['starts', 'ends', 'axes']) removeAttribute(node, name);
        inputs.push(int64s('starts', starts), int64s('ends', ends));
        if (axes !== undefined) inputs.push(int64s('axes', axes));
      }
      break;
    case 'Pad':
      if (from < 11) {
        const pads = intsAttribute(node, 'pads') ?? [];
        const value = floatAttribute(node, 'value', 0);
        removeAttribute(node, 'pads');
        removeAttribute(node, 'value');
        inputs.push(int64s('pads', pads), float('value', value));
      }
      break;
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
      moveAxes('axes');
      break;
    case 'Split':
      moveAxes('split');
      break;
    case 'Dropout':
      return [
        {
          ...node,
          opType: 'Identity',
          input: [inputs[0] ?? ''],
          output: [node.output?.[0] ?? ''],
          attribute: [],
        },
      ];
    case 'Softmax':
    case 'LogSoftmax':
    case 'Hardmax':
      return rewriteSoftmax(node, names, ranks);
  }
  node.input = inputs;
  return [node];
}

/**
 * Before opset 13, Softmax(axis) flattened its input to 2-D at `axis` and normalized the
 * second dimension; from 13 it normalizes `axis` alone. The two agree when `axis` is the
 * last axis; otherwise the old meaning is spelled out as Flatten, Softmax, Reshape.
 */
function rewriteSoftmax(
  node: onnx.INodeProto,
  names: NameAllocator,
  ranks: ReadonlyMap<string, number>,
): onnx.INodeProto[] {
  const axis = intAttribute(node, 'axis', 1);
  const output = node.output?.[0] ?? '';
  const rank = ranks.get(output);
  if (axis === -1 || (rank !== undefined && axis === rank - 1)) {
    setAttribute(node, 'axis', { int: -1 });
    return [node];
  }
  const input = node.input?.[0] ?? '';
  const base = node.name || node.opType || 'softmax';
  const flat = names.fresh(`${base}_flat`);
  const normalized = names.fresh(`${base}_2d`);
  const shape = names.fresh(`${base}_shape`);
  setAttribute(node, 'axis', { int: -1 });
  node.input = [flat];
  node.output = [normalized];
  return [
    createNodeProto(
      { op: 'Flatten', inputs: [input], outputs: [flat], attributes: { axis: { int: axis } } },
      names.fresh(`${base}_flatten`),
    ),
    node,
    createNodeProto({ op: 'Shape', inputs: [input], outputs: [shape] }, names.fresh(`${base}_shape_of`)),
    createNodeProto(
      { op: 'Reshape', inputs: [normalized, shape], outputs: [output] },
      names.fresh(`${base}_reshape`),
    ),
  ];
}

function toInt64(values: readonly number[]): BigInt64Array {
  return BigInt64Array.from(values.map((value) => BigInt(value)));
}
