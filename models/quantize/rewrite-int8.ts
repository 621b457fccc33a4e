import type { onnx } from 'onnx-proto';
import type { Tensor } from '../../functions/core/tensors/tensor';
import { createNodeProto, createTensorProto, type NodeSpec } from '../onnx/builder';
import {
  ELEM_TYPE,
  NameAllocator,
  TensorReaders,
  findAttribute,
  floatAttribute,
  initializerMap,
  intAttribute,
  isDefaultDomain,
  readFloats,
} from './onnx-graph';
import {
  quantizeBiasInt32,
  quantizeInt8Symmetric,
  quantizeUint8Symmetric,
  type ActivationParams,
  type Int8Weights,
  type Uint8Weights,
} from './quantization-math';
import type { WeightTarget } from './targets';

/**
 * The int8 rewrites of a float graph:
 *
 * - **QDQ**: weights stored as int8 and read through DequantizeLinear; with activation
 *   ranges (static mode), QuantizeLinear/DequantizeLinear pairs on the activations too, so
 *   that onnxruntime fuses each `DQ -> op -> Q` group into an integer kernel
 *   (QLinearConv, QGemm, QLinearMatMul).
 * - **integer operators** (dynamic mode): DynamicQuantizeLinear on the activation at run
 *   time, then MatMulInteger/ConvInteger, Cast and a rescaling Mul; onnxruntime fuses the
 *   MatMul form into DynamicQuantizeMatMul.
 * - **integer operators with float outputs** (static mode, MatMul and Gemm): a
 *   QuantizeLinear with the calibrated scale, then onnxruntime's `com.microsoft`
 *   MatMulIntegerToFloat, which multiplies in int8 and writes float32 directly.
 */

/** Domain of onnxruntime's contrib operators, such as MatMulIntegerToFloat. */
export const MICROSOFT_DOMAIN = 'com.microsoft';

/** What every rewrite needs. */
interface RewriteContext {
  readonly graph: onnx.IGraphProto;
  readonly names: NameAllocator;
  readonly nodes: onnx.INodeProto[];
}

function addInitializer(context: RewriteContext, base: string, tensor: Tensor): string {
  const name = context.names.fresh(base);
  context.graph.initializer ??= [];
  context.graph.initializer.push(createTensorProto(name, tensor));
  return name;
}

function addNode(context: RewriteContext, spec: NodeSpec): void {
  context.nodes.push(createNodeProto(spec, context.names.fresh(`${spec.outputs[0] ?? spec.op}_node`)));
}

/** Shape of a per-channel parameter broadcast against an output of rank `rank` with channels at axis 1. */
function channelShape(channels: number, rank: number): number[] {
  return [channels, ...new Array<number>(Math.max(0, rank - 2)).fill(1)];
}

/** `[K, N]` weights of a Gemm with `transB` set, transposed from `[N, K]`. */
function transpose2d(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c] ?? 0;
  return out;
}

/** Options of {@link rewriteQdq}. */
export interface QdqOptions {
  /** Per-channel weight scales (needs opset 13). */
  readonly perChannel: boolean;
  /** Static mode: uint8 ranges of the activations to quantize, by tensor name. */
  readonly activations?: ReadonlyMap<string, ActivationParams>;
}

/** Relu, or Clip with a constant lower bound of 0 (ReLU6): activations a uint8 range can absorb. */
function isRectifier(node: onnx.INodeProto, initializers: ReadonlyMap<string, onnx.ITensorProto>): boolean {
  if (!isDefaultDomain(node)) return false;
  if (node.opType === 'Relu') return true;
  if (node.opType !== 'Clip') return false;
  const min = initializers.get(node.input?.[1] ?? '');
  const values = min === undefined ? undefined : readFloats(min);
  return values !== undefined && values.length === 1 && values[0] === 0;
}

/**
 * The activations static quantization puts QuantizeLinear/DequantizeLinear on: the input
 * of each target, and its output, or the output of a Relu (or ReLU6) that alone reads it:
 * quantizing after it lets onnxruntime fold the rectifier into the uint8 range.
 */
export function staticActivationTensors(graph: onnx.IGraphProto, targets: readonly WeightTarget[]): string[] {
  const readers = new TensorReaders(graph);
  const initializers = initializerMap(graph);
  const graphOutputs = new Set((graph.output ?? []).map((value) => value.name ?? ''));
  const tensors = new Set<string>();
  for (const target of targets) {
    tensors.add(target.node.input?.[0] ?? '');
    let output = target.node.output?.[0] ?? '';
    const follower = readers.single(output);
    if (follower !== undefined && isRectifier(follower, initializers))
      output = follower.output?.[0] ?? output;
    if (!graphOutputs.has(output)) tensors.add(output);
  }
  tensors.delete('');
  return [...tensors];
}

/**
 * Rewrites the targets to QDQ form in place. Returns the names of the quantized nodes.
 */
export function rewriteQdq(
  graph: onnx.IGraphProto,
  targets: readonly WeightTarget[],
  options: QdqOptions,
): string[] {
  const context: RewriteContext = { graph, names: new NameAllocator(graph), nodes: [] };
  const activations = options.activations ?? new Map<string, ActivationParams>();
  const dequantizedWeights = new Map<string, { name: string; weights: Int8Weights }>();
  const quantizedNodes: string[] = [];

  // Activations first: every reader of a quantized activation reads its dequantized copy.
  const dequantizedActivations = new Map<string, string>();
  for (const [tensor, params] of activations) {
    const scale = addInitializer(context, `${tensor}_scale`, {
      datatype: 'FP32',
      shape: [],
      data: new Float32Array([params.scale]),
    });
    const zeroPoint = addInitializer(context, `${tensor}_zero_point`, {
      datatype: 'UINT8',
      shape: [],
      data: new Uint8Array([params.zeroPoint]),
    });
    const quantized = context.names.fresh(`${tensor}_quantized`);
    const dequantized = context.names.fresh(`${tensor}_dequantized`);
    addNode(context, { op: 'QuantizeLinear', inputs: [tensor, scale, zeroPoint], outputs: [quantized] });
    addNode(context, {
      op: 'DequantizeLinear',
      inputs: [quantized, scale, zeroPoint],
      outputs: [dequantized],
    });
    dequantizedActivations.set(tensor, dequantized);
  }
  const originalInputs = new Map(targets.map((target) => [target, target.node.input?.[0] ?? '']));
  for (const node of graph.node ?? []) {
    node.input = (node.input ?? []).map((name) => dequantizedActivations.get(name) ?? name);
  }

  for (const target of targets) {
    const { node } = target;
    let entry = dequantizedWeights.get(target.weightName);
    if (entry === undefined) {
      const weights = quantizeInt8Symmetric(
        target.weights,
        target.dims,
        options.perChannel ? target.channelAxis : undefined,
      );
      // Static mode keeps the (zero) weight zero points: onnxruntime fuses QDQ Gemm into QGemm
      // only with them. Weight-only QDQ leaves them out, DequantizeLinear's default, to save space.
      const withZeroPoints = activations.size > 0;
      const name = dequantizeWeights(context, target.weightName, target.dims, weights, withZeroPoints);
      entry = { name, weights };
      dequantizedWeights.set(target.weightName, entry);
    }
    const inputs = [...(node.input ?? [])];
    inputs[1] = entry.name;
    // Static: the bias becomes int32 with scale input_scale * weight_scale, as QLinearConv takes it.
    const inputParams = activations.get(originalInputs.get(target) ?? '');
    if (target.bias !== undefined && target.biasName !== undefined && inputParams !== undefined) {
      const { values, scales } = quantizeBiasInt32(target.bias, inputParams.scale, entry.weights.scales);
      const base = `${target.biasName}_${node.name || 'node'}`;
      const biasQ = addInitializer(context, `${base}_quantized`, {
        datatype: 'INT32',
        shape: [values.length],
        data: values,
      });
      const biasScale = addInitializer(context, `${base}_scale`, {
        datatype: 'FP32',
        shape: [scales.length],
        data: scales,
      });
      // Bias zero points are 0, DequantizeLinear's default.
      const biasDq = context.names.fresh(`${base}_dequantized`);
      addNode(context, {
        op: 'DequantizeLinear',
        inputs: [biasQ, biasScale],
        outputs: [biasDq],
        attributes: { axis: { int: 0 } },
      });
      inputs[2] = biasDq;
    }
    node.input = inputs;
    quantizedNodes.push(node.name ?? '');
  }
  graph.node = [...(graph.node ?? []), ...context.nodes];
  return quantizedNodes;
}

function dequantizeWeights(
  context: RewriteContext,
  weightName: string,
  dims: readonly number[],
  weights: Int8Weights,
  withZeroPoints: boolean,
): string {
  const perChannel = weights.axis !== undefined;
  const scaleShape = perChannel ? [weights.scales.length] : [];
  const quantized = addInitializer(context, `${weightName}_quantized`, {
    datatype: 'INT8',
    shape: dims,
    data: weights.values,
  });
  const scale = addInitializer(context, `${weightName}_scale`, {
    datatype: 'FP32',
    shape: scaleShape,
    data: weights.scales,
  });
  const inputs = [quantized, scale];
  if (withZeroPoints) {
    inputs.push(
      addInitializer(context, `${weightName}_zero_point`, {
        datatype: 'INT8',
        shape: scaleShape,
        data: weights.zeroPoints,
      }),
    );
  }
  const dequantized = context.names.fresh(`${weightName}_dequantized`);
  addNode(context, {
    op: 'DequantizeLinear',
    inputs,
    outputs: [dequantized],
    ...(perChannel ? { attributes: { axis: { int: weights.axis ?? 0 } } } : {}),
  });
  return dequantized;
}

/**
 * Rewrites the targets to integer operators in place (dynamic quantization). Conv
 * weights become uint8 around one zero point (128), because onnxruntime's ConvInteger
 * takes uint8 weights and a scalar weight zero point only; MatMul and Gemm weights become
 * symmetric int8. Returns the names of the quantized nodes.
 */
export function rewriteDynamicInteger(
  graph: onnx.IGraphProto,
  targets: readonly WeightTarget[],
  perChannel: boolean,
): string[] {
  const context: RewriteContext = { graph, names: new NameAllocator(graph), nodes: [] };
  const replaced = new Set<onnx.INodeProto>();
  const quantizedInputs = new Map<string, { quantized: string; scale: string; zeroPoint: string }>();
  const initializers = initializerMap(graph);
  const quantizeInput = (input: string): { quantized: string; scale: string; zeroPoint: string } => {
    let entry = quantizedInputs.get(input);
    if (entry === undefined) {
      entry = {
        quantized: context.names.fresh(`${input}_quantized`),
        scale: context.names.fresh(`${input}_scale`),
        zeroPoint: context.names.fresh(`${input}_zero_point`),
      };
      addNode(context, {
        op: 'DynamicQuantizeLinear',
        inputs: [input],
        outputs: [entry.quantized, entry.scale, entry.zeroPoint],
      });
      quantizedInputs.set(input, entry);
    }
    return entry;
  };

  const quantizedNodes: string[] = [];
  for (const target of targets) {
    const { node } = target;
    // A Conv bias computed at run time would need its own broadcast; such convs stay float.
    if (target.op === 'Conv' && (node.input?.[2] ?? '') !== '' && target.bias === undefined) continue;
    const input = quantizeInput(node.input?.[0] ?? '');
    const output = node.output?.[0] ?? '';
    const base = node.name || output;
    const integer = context.names.fresh(`${output}_int32`);
    const asFloat = context.names.fresh(`${output}_cast`);
    const scale = context.names.fresh(`${output}_rescale`);
    const scaled =
      target.bias === undefined && target.op !== 'Gemm' ? output : context.names.fresh(`${output}_scaled`);

    if (target.op === 'Conv') {
      const weights: Uint8Weights = quantizeUint8Symmetric(
        target.weights,
        target.dims,
        perChannel ? 0 : undefined,
      );
      const channels = weights.scales.length;
      const q = addInitializer(context, `${target.weightName}_quantized`, {
        datatype: 'UINT8',
        shape: target.dims,
        data: weights.values,
      });
      const zp = addInitializer(context, `${target.weightName}_zero_point`, {
        datatype: 'UINT8',
        shape: [],
        data: weights.zeroPoints,
      });
      const attributes: Record<string, onnx.IAttributeProto> = {};
      for (const name of ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']) {
        const attribute = findAttribute(node, name);
        if (attribute !== undefined) attributes[name] = attribute;
      }
      const convInteger = createNodeProto(
        { op: 'ConvInteger', inputs: [input.quantized, q, input.zeroPoint, zp], outputs: [integer] },
        context.names.fresh(`${base}_integer`),
      );
      convInteger.attribute = Object.values(attributes);
      context.nodes.push(convInteger);
      const weightScales = weights.scales;
      const shape = perChannel ? channelShape(channels, target.dims.length) : [];
      const weightScale = addInitializer(context, `${target.weightName}_scale`, {
        datatype: 'FP32',
        shape,
        data: weightScales,
      });
      addNode(context, { op: 'Mul', inputs: [input.scale, weightScale], outputs: [scale] });
      addNode(context, {
        op: 'Cast',
        inputs: [integer],
        outputs: [asFloat],
        attributes: { to: { int: ELEM_TYPE.FLOAT } },
      });
      addNode(context, { op: 'Mul', inputs: [asFloat, scale], outputs: [scaled] });
      if (target.bias !== undefined) {
        const bias = addInitializer(context, `${target.biasName ?? base}_broadcast`, {
          datatype: 'FP32',
          shape: channelShape(target.bias.length, target.dims.length),
          data: target.bias,
        });
        addNode(context, { op: 'Add', inputs: [scaled, bias], outputs: [output] });
      }
    } else {
      const { q, zp, weightScale } = matMulWeights(context, target, perChannel);
      addNode(context, {
        op: 'MatMulInteger',
        inputs: [input.quantized, q, input.zeroPoint, zp],
        outputs: [integer],
      });
      addNode(context, { op: 'Mul', inputs: [input.scale, weightScale], outputs: [scale] });
      addNode(context, {
        op: 'Cast',
        inputs: [integer],
        outputs: [asFloat],
        attributes: { to: { int: ELEM_TYPE.FLOAT } },
      });
      addNode(context, { op: 'Mul', inputs: [asFloat, scale], outputs: [scaled] });
      if (target.op === 'Gemm') addGemmC(context, target, scaled, output, initializers);
    }
    replaced.add(node);
    quantizedNodes.push(node.name ?? '');
  }
  graph.node = [...(graph.node ?? []).filter((node) => !replaced.has(node)), ...context.nodes];
  return quantizedNodes;
}

/** MatMul or Gemm weights as int8 laid out `[K, N]`, scaled per column (Gemm's alpha folded in). */
function matMulWeights(
  context: RewriteContext,
  target: WeightTarget,
  perChannel: boolean,
): { q: string; zp: string; weightScale: string } {
  const { node } = target;
  const transB = target.op === 'Gemm' && intAttribute(node, 'transB', 0) === 1;
  const rows = target.dims[0] ?? 0;
  const columns = target.dims[1] ?? 0;
  const kByN = transB ? transpose2d(target.weights, rows, columns) : target.weights;
  const dims = transB ? [columns, rows] : [rows, columns];
  const weights = quantizeInt8Symmetric(kByN, dims, perChannel ? 1 : undefined);
  const alpha = target.op === 'Gemm' ? floatAttribute(node, 'alpha', 1) : 1;
  const weightScales = weights.scales.map((value) => value * alpha);
  const scaleShape = perChannel ? [weightScales.length] : [];
  const q = addInitializer(context, `${target.weightName}_quantized`, {
    datatype: 'INT8',
    shape: dims,
    data: weights.values,
  });
  const zp = addInitializer(context, `${target.weightName}_zero_point`, {
    datatype: 'INT8',
    shape: scaleShape,
    data: weights.zeroPoints,
  });
  const weightScale = addInitializer(context, `${target.weightName}_scale`, {
    datatype: 'FP32',
    shape: scaleShape,
    data: weightScales,
  });
  return { q, zp, weightScale };
}

/** Gemm's `beta * C`, as an initializer when C is a constant or as a Mul node when not. */
function scaledGemmC(
  context: RewriteContext,
  target: WeightTarget,
  initializers: ReadonlyMap<string, onnx.ITensorProto>,
): string {
  const { node } = target;
  const cName = node.input?.[2] ?? '';
  const beta = floatAttribute(node, 'beta', 1);
  if (beta === 1) return cName;
  const values = target.bias;
  if (initializers.has(cName) && values !== undefined) {
    return addInitializer(context, `${cName}_beta`, {
      datatype: 'FP32',
      shape: [values.length],
      data: values.map((value) => value * beta),
    });
  }
  const betaName = addInitializer(context, `${node.name || (node.output?.[0] ?? '')}_beta`, {
    datatype: 'FP32',
    shape: [],
    data: new Float32Array([beta]),
  });
  const c = context.names.fresh(`${cName}_times_beta`);
  addNode(context, { op: 'Mul', inputs: [cName, betaName], outputs: [c] });
  return c;
}

/** Writes `output = product + beta * C` for a Gemm (`Identity` when it has no C). */
function addGemmC(
  context: RewriteContext,
  target: WeightTarget,
  product: string,
  output: string,
  initializers: ReadonlyMap<string, onnx.ITensorProto>,
): void {
  if ((target.node.input?.[2] ?? '') === '') {
    addNode(context, { op: 'Identity', inputs: [product], outputs: [output] });
    return;
  }
  addNode(context, {
    op: 'Add',
    inputs: [product, scaledGemmC(context, target, initializers)],
    outputs: [output],
  });
}

/** Options of {@link rewriteIntegerToFloat}. */
export interface IntegerToFloatOptions {
  /** One weight scale per output column. */
  readonly perChannel: boolean;
  /** uint8 ranges of the MatMul/Gemm inputs, by tensor name; a target whose input has none stays float. */
  readonly activations: ReadonlyMap<string, ActivationParams>;
}

/**
 * Rewrites MatMul and Gemm targets in place to `QuantizeLinear -> MatMulIntegerToFloat`
 * (static mode): the input quantized to uint8 with its calibrated scale, the weights int8
 * `[K, N]` with per-column scales, the product written as float32 by the kernel, and a
 * Gemm's constant C passed as its bias. A following Relu stays: onnxruntime drops it when
 * the next QuantizeLinear's zero point is 0. The model must import the
 * {@link MICROSOFT_DOMAIN} operator set. Returns the names of the quantized nodes.
 */
export function rewriteIntegerToFloat(
  graph: onnx.IGraphProto,
  targets: readonly WeightTarget[],
  options: IntegerToFloatOptions,
): string[] {
  const context: RewriteContext = { graph, names: new NameAllocator(graph), nodes: [] };
  const initializers = initializerMap(graph);
  const quantizedInputs = new Map<string, { quantized: string; scale: string; zeroPoint: string }>();
  const replaced = new Set<onnx.INodeProto>();
  const quantizedNodes: string[] = [];
  for (const target of targets) {
    const { node } = target;
    const input = node.input?.[0] ?? '';
    const params = options.activations.get(input);
    if (target.op === 'Conv' || params === undefined) continue;
    let quantizedInput = quantizedInputs.get(input);
    if (quantizedInput === undefined) {
      quantizedInput = {
        quantized: context.names.fresh(`${input}_quantized`),
        scale: addInitializer(context, `${input}_scale`, {
          datatype: 'FP32',
          shape: [],
          data: new Float32Array([params.scale]),
        }),
        zeroPoint: addInitializer(context, `${input}_zero_point`, {
          datatype: 'UINT8',
          shape: [],
          data: new Uint8Array([params.zeroPoint]),
        }),
      };
      addNode(context, {
        op: 'QuantizeLinear',
        inputs: [input, quantizedInput.scale, quantizedInput.zeroPoint],
        outputs: [quantizedInput.quantized],
      });
      quantizedInputs.set(input, quantizedInput);
    }
    const { q, zp, weightScale } = matMulWeights(context, target, options.perChannel);
    const output = node.output?.[0] ?? '';
    const hasC = target.op === 'Gemm' && (node.input?.[2] ?? '') !== '';
    // MatMulIntegerToFloat adds a bias over the last dimension: Gemm's C when it is a constant [N].
    const bias = hasC && target.bias !== undefined ? scaledGemmC(context, target, initializers) : undefined;
    const product = hasC && bias === undefined ? context.names.fresh(`${output}_product`) : output;
    const inputs = [
      quantizedInput.quantized,
      q,
      quantizedInput.scale,
      weightScale,
      quantizedInput.zeroPoint,
      zp,
    ];
    context.nodes.push(
      createNodeProto(
        {
          op: 'MatMulIntegerToFloat',
          domain: MICROSOFT_DOMAIN,
          inputs: bias === undefined ? inputs : [...inputs, bias],
          outputs: [product],
        },
        context.names.fresh(`${node.name || output}_integer`),
      ),
    );
    if (product !== output) addGemmC(context, target, product, output, initializers);
    replaced.add(node);
    quantizedNodes.push(node.name ?? '');
  }
  graph.node = [...(graph.node ?? []).filter((node) => !replaced.has(node)), ...context.nodes];
  return quantizedNodes;
}
