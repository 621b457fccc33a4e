import { ELEM_TYPE, decodeModel, defaultOpset, findAttribute, tensorDims, toNumber } from './onnx-graph';

/** A readable, stable description of a model's graph, for golden tests and debugging. */
export interface GraphSummary {
  readonly opset: number;
  /** `Op(input, ...) -> output, ...`, with the INT attributes, in graph order. */
  readonly nodes: readonly string[];
  /** `name: TYPE[dims]`, sorted by name. */
  readonly initializers: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
}

const TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ELEM_TYPE).map(([name, code]) => [code, name]),
);

/**
 * Summarizes a model: opset, nodes with their INT attributes, and initializers with type
 * and shape.
 *
 * @example
 * summarizeGraph(bytes).nodes[0]; // 'DequantizeLinear(w_quantized, w_scale) -> w_dequantized {axis=0}'
 */
export function summarizeGraph(bytes: Uint8Array): GraphSummary {
  const { model, graph } = decodeModel(bytes);
  const nodes = (graph.node ?? []).map((node) => {
    const ints = (node.attribute ?? [])
      .filter((attribute) => attribute.i !== null && attribute.i !== undefined && toNumber(attribute.i) !== 0)
      .map((attribute) => `${attribute.name}=${toNumber(attribute.i)}`)
      .sort();
    const axis = findAttribute(node, 'axis');
    if (axis !== undefined && toNumber(axis.i) === 0) ints.push('axis=0');
    const domain = node.domain ? `${node.domain}.` : '';
    const attributes = ints.length === 0 ? '' : ` {${ints.join(', ')}}`;
    return `${domain}${node.opType ?? ''}(${(node.input ?? []).join(', ')}) -> ${(node.output ?? []).join(', ')}${attributes}`;
  });
  const initializers = (graph.initializer ?? [])
    .map(
      (tensor) =>
        `${tensor.name ?? ''}: ${TYPE_NAMES[tensor.dataType ?? 0] ?? String(tensor.dataType)}[${tensorDims(tensor).join(', ')}]`,
    )
    .sort();
  const metadata = Object.fromEntries(
    (model.metadataProps ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']),
  );
  return { opset: defaultOpset(model), nodes, initializers, metadata };
}
