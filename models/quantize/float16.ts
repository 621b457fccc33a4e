import type { onnx } from 'onnx-proto';
import { FLOAT16_MAX, toFloat16Bits } from '../../functions/core/tensors/float16';
import { createNodeProto, createTensorProto } from '../onnx/builder';
import { ELEM_TYPE, NameAllocator, findAttribute, readFloats, subgraphsOf, tensorDims } from './onnx-graph';

/** Inputs that ONNX types as float32 whatever the data type: `op -> input indexes`. */
const FLOAT32_ONLY_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Resize: [2],
  Upsample: [1],
};

/**
 * Converts a float32 graph to float16 in place: float initializers, attribute tensors,
 * `Cast(to=float)` and value infos become float16. With `keepIoTypes`, graph inputs and
 * outputs stay float32 behind Cast nodes, so callers send and receive the same tensors.
 * Values beyond float16's range are clamped to +-65504 rather than becoming infinite.
 */
export function convertToFloat16(graph: onnx.IGraphProto, keepIoTypes: boolean): void {
  const keepFloat = new Set<string>();
  const visitKeep = (current: onnx.IGraphProto): void => {
    for (const node of current.node ?? []) {
      for (const index of FLOAT32_ONLY_INPUTS[node.opType ?? ''] ?? [])
        keepFloat.add(node.input?.[index] ?? '');
      subgraphsOf(node).forEach(visitKeep);
    }
  };
  visitKeep(graph);
  convertGraph(graph, keepFloat);

  const names = new NameAllocator(graph);
  const inputCasts: onnx.INodeProto[] = [];
  const outputCasts: onnx.INodeProto[] = [];
  for (const input of graph.input ?? []) {
    const tensorType = input.type?.tensorType;
    if (tensorType?.elemType !== ELEM_TYPE.FLOAT || keepFloat.has(input.name ?? '')) continue;
    if (!keepIoTypes) {
      tensorType.elemType = ELEM_TYPE.FLOAT16;
      continue;
    }
    const name = input.name ?? '';
    const half = names.fresh(`${name}_float16`);
    for (const node of graph.node ?? [])
      node.input = (node.input ?? []).map((value) => (value === name ? half : value));
    inputCasts.push(
      createNodeProto(
        { op: 'Cast', inputs: [name], outputs: [half], attributes: { to: { int: ELEM_TYPE.FLOAT16 } } },
        names.fresh(`${name}_to_float16`),
      ),
    );
  }
  for (const output of graph.output ?? []) {
    const tensorType = output.type?.tensorType;
    if (tensorType?.elemType !== ELEM_TYPE.FLOAT) continue;
    if (!keepIoTypes) {
      tensorType.elemType = ELEM_TYPE.FLOAT16;
      continue;
    }
    const name = output.name ?? '';
    const half = names.fresh(`${name}_float16`);
    for (const node of graph.node ?? []) {
      node.output = (node.output ?? []).map((value) => (value === name ? half : value));
      node.input = (node.input ?? []).map((value) => (value === name ? half : value));
    }
    outputCasts.push(
      createNodeProto(
        { op: 'Cast', inputs: [half], outputs: [name], attributes: { to: { int: ELEM_TYPE.FLOAT } } },
        names.fresh(`${name}_to_float32`),
      ),
    );
  }
  graph.node = [...inputCasts, ...(graph.node ?? []), ...outputCasts];
}

function convertGraph(graph: onnx.IGraphProto, keepFloat: ReadonlySet<string>): void {
  graph.initializer = (graph.initializer ?? []).map((tensor) =>
    keepFloat.has(tensor.name ?? '') ? tensor : toFloat16Tensor(tensor),
  );
  for (const value of graph.valueInfo ?? []) {
    const tensorType = value.type?.tensorType;
    if (tensorType?.elemType === ELEM_TYPE.FLOAT && !keepFloat.has(value.name ?? ''))
      tensorType.elemType = ELEM_TYPE.FLOAT16;
  }
  for (const node of graph.node ?? []) {
    if (node.opType === 'Cast') {
      const to = findAttribute(node, 'to');
      if (to !== undefined && Number(to.i) === ELEM_TYPE.FLOAT) to.i = ELEM_TYPE.FLOAT16;
    }
    for (const attribute of node.attribute ?? []) {
      if (attribute.t) attribute.t = toFloat16Tensor(attribute.t);
      if (attribute.tensors) attribute.tensors = attribute.tensors.map(toFloat16Tensor);
    }
    for (const subgraph of subgraphsOf(node)) {
      convertGraph(subgraph, keepFloat);
      for (const value of [...(subgraph.input ?? []), ...(subgraph.output ?? [])]) {
        const tensorType = value.type?.tensorType;
        if (tensorType?.elemType === ELEM_TYPE.FLOAT) tensorType.elemType = ELEM_TYPE.FLOAT16;
      }
    }
  }
}

/** A FLOAT tensor as FLOAT16 (other tensors unchanged). */
export function toFloat16Tensor(tensor: onnx.ITensorProto): onnx.ITensorProto {
  const values = readFloats(tensor);
  if (values === undefined) return tensor;
  const bits = Uint16Array.from(values, (value) =>
    toFloat16Bits(Math.max(-FLOAT16_MAX, Math.min(FLOAT16_MAX, value))),
  );
  return createTensorProto(tensor.name ?? '', { datatype: 'FP16', shape: tensorDims(tensor), data: bits });
}
