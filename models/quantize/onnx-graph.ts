import { onnx } from 'onnx-proto';
import { createAttribute, type AttributeValue } from '../onnx/builder';
import { QuantizeError } from './errors';

/**
 * Helpers over decoded ONNX protobufs, shared by the graph passes. The passes edit a
 * decoded `ModelProto` in place and encode it once at the end, so everything the
 * quantizer does not understand (value infos, docs, other domains) passes through.
 */

/** `TensorProto.DataType` values the passes use. */
export const ELEM_TYPE = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

/** A decoded model whose main graph is present. */
export interface ModelWithGraph {
  readonly model: onnx.ModelProto;
  readonly graph: onnx.IGraphProto;
}

/** Decodes `.onnx` bytes; throws `QuantizeError` `invalid_model` when they are not a model. */
export function decodeModel(bytes: Uint8Array): ModelWithGraph {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new QuantizeError('invalid_model', `the bytes are not an ONNX model: ${String(error)}`, {
      cause: error,
    });
  }
  const graph = model.graph;
  if (graph === null || graph === undefined || toNumber(model.irVersion) <= 0) {
    throw new QuantizeError('invalid_model', 'the bytes are not an ONNX model: no IR version or no graph');
  }
  return { model, graph };
}

/** Encodes a model to `.onnx` bytes. */
export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** protobufjs gives int64 fields as `Long` objects when the `long` package is present. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/** Version of the default (`ai.onnx`) operator set the model imports, 1 when absent. */
export function defaultOpset(model: onnx.IModelProto): number {
  const entry = (model.opsetImport ?? []).find((opset) => !opset.domain || opset.domain === 'ai.onnx');
  return entry === undefined ? 1 : toNumber(entry.version);
}

/** Sets the default operator set version (and an IR version able to carry it). */
export function setDefaultOpset(model: onnx.IModelProto, version: number): void {
  const imports = model.opsetImport ?? [];
  const entry = imports.find((opset) => !opset.domain || opset.domain === 'ai.onnx');
  if (entry === undefined) imports.push({ domain: '', version });
  else entry.version = version;
  model.opsetImport = imports;
  // IR 7 introduced opset 13; IR 8 covers opsets up to 18.
  const minimumIr = version >= 19 ? 9 : version >= 13 ? 7 : 3;
  if (toNumber(model.irVersion) < minimumIr) model.irVersion = minimumIr;
}

/** Dimensions of a tensor. */
export function tensorDims(tensor: onnx.ITensorProto): number[] {
  return (tensor.dims ?? []).map(toNumber);
}

/** Copies `raw_data` into a fresh, aligned buffer (decoded bytes may be a view at any offset). */
function rawBuffer(raw: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  return copy.buffer;
}

/** The values of a FLOAT tensor, from `raw_data` or `float_data`; undefined for other types. */
export function readFloats(tensor: onnx.ITensorProto): Float32Array | undefined {
  if (tensor.dataType !== ELEM_TYPE.FLOAT) return undefined;
  if ((tensor.dataLocation ?? 0) !== 0) {
    throw new QuantizeError('unsupported_model', `tensor '${tensor.name ?? ''}' uses external data`);
  }
  const raw = tensor.rawData;
  if (raw !== null && raw !== undefined && raw.byteLength > 0) return new Float32Array(rawBuffer(raw));
  return Float32Array.from(tensor.floatData ?? []);
}

/** The values of an INT64 or INT32 tensor as numbers; undefined for other types. */
export function readIntegers(tensor: onnx.ITensorProto): number[] | undefined {
  const raw = tensor.rawData;
  const hasRaw = raw !== null && raw !== undefined && raw.byteLength > 0;
  if (tensor.dataType === ELEM_TYPE.INT64) {
    if (hasRaw) return Array.from(new BigInt64Array(rawBuffer(raw)), Number);
    return (tensor.int64Data ?? []).map(toNumber);
  }
  if (tensor.dataType === ELEM_TYPE.INT32) {
    if (hasRaw) return Array.from(new Int32Array(rawBuffer(raw)));
    return [...(tensor.int32Data ?? [])];
  }
  return undefined;
}

/** A node attribute by name. */
export function findAttribute(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((attribute) => attribute.name === name);
}

/** An INT attribute, or `fallback` when absent. */
export function intAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const attribute = findAttribute(node, name);
  return attribute === undefined ? fallback : toNumber(attribute.i);
}

/** A FLOAT attribute, or `fallback` when absent. */
export function floatAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const attribute = findAttribute(node, name);
  return attribute === undefined ? fallback : (attribute.f ?? 0);
}

/** An INTS attribute, or undefined when absent. */
export function intsAttribute(node: onnx.INodeProto, name: string): number[] | undefined {
  const attribute = findAttribute(node, name);
  return attribute === undefined ? undefined : (attribute.ints ?? []).map(toNumber);
}

/** Sets (adds or replaces) a node attribute. */
export function setAttribute(node: onnx.INodeProto, name: string, value: AttributeValue): void {
  removeAttribute(node, name);
  node.attribute = [...(node.attribute ?? []), createAttribute(name, value)];
}

/** Removes a node attribute if present. */
export function removeAttribute(node: onnx.INodeProto, name: string): void {
  node.attribute = (node.attribute ?? []).filter((attribute) => attribute.name !== name);
}

/** Whether a node is of the default domain. */
export function isDefaultDomain(node: onnx.INodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

/** Initializers by name. */
export function initializerMap(graph: onnx.IGraphProto): Map<string, onnx.ITensorProto> {
  return new Map((graph.initializer ?? []).map((tensor) => [tensor.name ?? '', tensor]));
}

/** Names a subgraph (If/Loop/Scan body) reads from its enclosing scopes. */
function outerNamesOf(graph: onnx.IGraphProto, into: Set<string>): void {
  const local = new Set<string>([
    ...(graph.input ?? []).map((value) => value.name ?? ''),
    ...(graph.initializer ?? []).map((tensor) => tensor.name ?? ''),
  ]);
  for (const node of graph.node ?? []) {
    for (const name of node.input ?? []) if (name !== '' && !local.has(name)) into.add(name);
    for (const name of node.output ?? []) local.add(name);
    for (const subgraph of subgraphsOf(node)) outerNamesOf(subgraph, into);
  }
}

/** The subgraphs held by a node's attributes. */
export function subgraphsOf(node: onnx.INodeProto): onnx.IGraphProto[] {
  const graphs: onnx.IGraphProto[] = [];
  for (const attribute of node.attribute ?? []) {
    if (attribute.g) graphs.push(attribute.g);
    graphs.push(...(attribute.graphs ?? []));
  }
  return graphs;
}

/**
 * Who reads each tensor of a graph: the nodes of the graph, plus the pseudo-reader
 * `'external'` for graph outputs and for tensors that subgraphs read from outside.
 */
export class TensorReaders {
  private readonly readers = new Map<string, onnx.INodeProto[]>();
  private readonly external = new Set<string>();

  public constructor(graph: onnx.IGraphProto) {
    for (const node of graph.node ?? []) {
      for (const name of node.input ?? []) {
        if (name === '') continue;
        const list = this.readers.get(name) ?? [];
        list.push(node);
        this.readers.set(name, list);
      }
      for (const subgraph of subgraphsOf(node)) outerNamesOf(subgraph, this.external);
    }
    for (const output of graph.output ?? []) this.external.add(output.name ?? '');
  }

  /** Nodes that read `name` (a node reading it twice appears twice). */
  public of(name: string): readonly onnx.INodeProto[] {
    return this.readers.get(name) ?? [];
  }

  /** Whether something outside the graph's nodes reads `name`. */
  public isExternal(name: string): boolean {
    return this.external.has(name);
  }

  /** The one node that reads `name`, when exactly one node and nothing else does. */
  public single(name: string): onnx.INodeProto | undefined {
    const list = this.of(name);
    return list.length === 1 && !this.isExternal(name) ? list[0] : undefined;
  }
}

/** Hands out tensor and node names not yet used anywhere in a graph. */
export class NameAllocator {
  private readonly used = new Set<string>();

  public constructor(graph: onnx.IGraphProto) {
    const visit = (current: onnx.IGraphProto): void => {
      for (const value of [
        ...(current.input ?? []),
        ...(current.output ?? []),
        ...(current.valueInfo ?? []),
      ]) {
        this.used.add(value.name ?? '');
      }
      for (const tensor of current.initializer ?? []) this.used.add(tensor.name ?? '');
      for (const node of current.node ?? []) {
        this.used.add(node.name ?? '');
        for (const name of [...(node.input ?? []), ...(node.output ?? [])]) this.used.add(name);
        for (const subgraph of subgraphsOf(node)) visit(subgraph);
      }
    };
    visit(graph);
  }

  /** `base`, or `base_1`, `base_2`, ... whichever is free; the name is then taken. */
  public fresh(base: string): string {
    let name = base;
    for (let suffix = 1; this.used.has(name); suffix++) name = `${base}_${suffix}`;
    this.used.add(name);
    return name;
  }
}

/**
 * Orders nodes so that each comes after the producers of its inputs, keeping the current
 * order where it already is one. Passes append nodes freely and sort once.
 */
export function sortTopologically(graph: onnx.IGraphProto): void {
  const nodes = graph.node ?? [];
  const producers = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const name of node.output ?? []) producers.set(name, index);
  });
  const inputsOf = nodes.map((node) => {
    const inputs = new Set<string>(node.input ?? []);
    for (const subgraph of subgraphsOf(node)) outerNamesOf(subgraph, inputs);
    return [...inputs].flatMap((name) => {
      const producer = producers.get(name);
      return producer === undefined ? [] : [producer];
    });
  });
  // Depth-first, iterative: a node is emitted once all of its producers are.
  const state = nodes.map(() => 0); // 0 unvisited, 1 in progress, 2 emitted
  const order: onnx.INodeProto[] = [];
  for (let root = 0; root < nodes.length; root++) {
    const stack: number[] = [root];
    while (stack.length > 0) {
      const current = stack[stack.length - 1] ?? 0;
      if (state[current] === 2) {
        stack.pop();
        continue;
      }
      state[current] = 1;
      const waiting = (inputsOf[current] ?? []).filter((producer) => state[producer] !== 2);
      if (waiting.length === 0) {
        state[current] = 2;
        order.push(nodes[current] ?? {});
        stack.pop();
        continue;
      }
      const next = waiting.find((producer) => state[producer] === 0);
      if (next === undefined) throw new QuantizeError('unsupported_model', 'the graph has a cycle');
      stack.push(next);
    }
  }
  graph.node = order;
}

/** Removes initializers no node (of the graph or its subgraphs) reads and that are not outputs. */
export function removeUnusedInitializers(graph: onnx.IGraphProto): void {
  const used = new Set<string>((graph.output ?? []).map((value) => value.name ?? ''));
  for (const node of graph.node ?? []) {
    for (const name of node.input ?? []) used.add(name);
    for (const subgraph of subgraphsOf(node)) outerNamesOf(subgraph, used);
  }
  const initializers = initializerMap(graph);
  graph.initializer = (graph.initializer ?? []).filter((tensor) => used.has(tensor.name ?? ''));
  // Models of IR < 4 also list initializers as graph inputs.
  graph.input = (graph.input ?? []).filter(
    (value) => used.has(value.name ?? '') || !initializers.has(value.name ?? ''),
  );
}
