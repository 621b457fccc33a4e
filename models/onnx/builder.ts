import { onnx } from 'onnx-proto';
import { ONNX_ELEM_TYPES } from '../../functions/core/runtime/onnx-schema';
import type { Datatype } from '../../functions/core/tensors/datatypes';
import type { Tensor } from '../../functions/core/tensors/tensor';

/**
 * A small declarative builder of ONNX models, for test fixtures and for exporting
 * trained models: describe the graph as plain data, get the `.onnx` bytes.
 *
 * @example
 * const bytes = buildOnnxModel({
 *   name: 'double',
 *   inputs: [{ name: 'x', datatype: 'FP32', shape: ['batch', 3] }],
 *   outputs: [{ name: 'y', datatype: 'FP32', shape: ['batch', 3] }],
 *   initializers: [{ name: 'two', tensor: { datatype: 'FP32', shape: [], data: new Float32Array([2]) } }],
 *   nodes: [{ op: 'Mul', inputs: ['x', 'two'], outputs: ['y'] }],
 * });
 */

/**
 * A dimension: a size, a name (`dim_param`, dynamic and shared by equal names) or `-1`
 * (dynamic, unnamed).
 */
export type Dim = number | string;

/** A graph input or output. `shape` omitted means unknown rank. */
export interface ValueSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape?: readonly Dim[];
}

/** A constant tensor of the graph (weights). */
export interface InitializerSpec {
  readonly name: string;
  readonly tensor: Tensor;
}

/** A node attribute, tagged with its ONNX attribute type. */
export type AttributeValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly string: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] }
  | { readonly tensor: Tensor }
  | { readonly graph: GraphSpec };

/** One operator application. */
export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** @default `<op>_<index>` */
  readonly name?: string;
  /** @default the default domain, `ai.onnx` */
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A graph: the model's main graph or the body of an If/Loop/Scan. */
export interface GraphSpec {
  readonly name?: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly InitializerSpec[];
}

/** A whole model. */
export interface ModelSpec extends GraphSpec {
  /** @default 17 */
  readonly opset?: number;
  /** Operator sets of other domains, e.g. `{ 'com.microsoft': 1 }`. */
  readonly domainOpsets?: Readonly<Record<string, number>>;
  /** @default 8, the IR version of opset 17 */
  readonly irVersion?: number;
  /** @default 'infergate' */
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  /** Free-form `metadata_props`, e.g. labels of a classifier. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Encodes a model to `.onnx` bytes. */
export function buildOnnxModel(spec: ModelSpec): Uint8Array {
  return onnx.ModelProto.encode(createModelProto(spec)).finish();
}

/** Builds the `ModelProto` of a model, for callers that want to adjust it before encoding. */
export function createModelProto(spec: ModelSpec): onnx.ModelProto {
  const opsets = [
    { domain: '', version: spec.opset ?? 17 },
    ...Object.entries(spec.domainOpsets ?? {}).map(([domain, version]) => ({ domain, version })),
  ];
  return onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 8,
    opsetImport: opsets,
    producerName: spec.producerName ?? 'infergate',
    producerVersion: spec.producerVersion ?? '',
    docString: spec.docString ?? '',
    graph: createGraphProto(spec),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
}

/** Builds a `GraphProto`. */
export function createGraphProto(spec: GraphSpec): onnx.GraphProto {
  return onnx.GraphProto.create({
    name: spec.name ?? 'graph',
    input: spec.inputs.map(createValueInfo),
    output: spec.outputs.map(createValueInfo),
    node: spec.nodes.map((node, index) => createNodeProto(node, `${node.op}_${index}`)),
    initializer: (spec.initializers ?? []).map((init) => createTensorProto(init.name, init.tensor)),
  });
}

/**
 * Builds a `NodeProto`, for passes that edit a decoded model.
 *
 * @param defaultName - the node's name when `node.name` is not given
 * @example
 * const node = createNodeProto({ op: 'Relu', inputs: ['x'], outputs: ['y'] }, 'relu_0');
 */
export function createNodeProto(node: NodeSpec, defaultName: string = node.op): onnx.NodeProto {
  return onnx.NodeProto.create({
    opType: node.op,
    name: node.name ?? defaultName,
    domain: node.domain ?? '',
    input: [...node.inputs],
    output: [...node.outputs],
    attribute: Object.entries(node.attributes ?? {}).map(([name, value]) => createAttribute(name, value)),
  });
}

/** Builds a `ValueInfoProto` of a tensor. */
export function createValueInfo(value: ValueSpec): onnx.ValueInfoProto {
  const shape =
    value.shape === undefined
      ? undefined
      : {
          dim: value.shape.map((dim) =>
            typeof dim === 'string' ? { dimParam: dim } : dim < 0 ? {} : { dimValue: dim },
          ),
        };
  return onnx.ValueInfoProto.create({
    name: value.name,
    type: {
      tensorType: { elemType: ONNX_ELEM_TYPES[value.datatype], ...(shape === undefined ? {} : { shape }) },
    },
  });
}

/** Builds a `TensorProto`: numbers as little-endian `raw_data`, BYTES as UTF-8 `string_data`. */
export function createTensorProto(name: string, tensor: Tensor): onnx.TensorProto {
  const { data } = tensor;
  const common = { name, dims: [...tensor.shape], dataType: ONNX_ELEM_TYPES[tensor.datatype] };
  if (Array.isArray(data)) {
    const encoder = new TextEncoder();
    return onnx.TensorProto.create({ ...common, stringData: data.map((text) => encoder.encode(text)) });
  }
  // Typed arrays are little-endian on every platform Node runs on, which raw_data requires.
  return onnx.TensorProto.create({
    ...common,
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  });
}

/** Builds an `AttributeProto` of a node from its tagged value. */
export function createAttribute(name: string, value: AttributeValue): onnx.AttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if ('int' in value) return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value.int });
  if ('float' in value)
    return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value.float });
  if ('string' in value) {
    return onnx.AttributeProto.create({
      name,
      type: AttributeType.STRING,
      s: new TextEncoder().encode(value.string),
    });
  }
  if ('ints' in value)
    return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: [...value.ints] });
  if ('floats' in value) {
    return onnx.AttributeProto.create({ name, type: AttributeType.FLOATS, floats: [...value.floats] });
  }
  if ('strings' in value) {
    const encoder = new TextEncoder();
    return onnx.AttributeProto.create({
      name,
      type: AttributeType.STRINGS,
      strings: value.strings.map((text) => encoder.encode(text)),
    });
  }
  if ('tensor' in value) {
    return onnx.AttributeProto.create({
      name,
      type: AttributeType.TENSOR,
      t: createTensorProto('', value.tensor),
    });
  }
  return onnx.AttributeProto.create({ name, type: AttributeType.GRAPH, g: createGraphProto(value.graph) });
}
