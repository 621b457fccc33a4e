import { onnx } from 'onnx-proto';
import { BadRequestError } from '../errors';
import { DATATYPES, type Datatype, type TensorSpec } from '../tensors/datatypes';

/** What a model declares about itself, read from its ONNX bytes without a runtime. */
export interface OnnxSchema {
  /** Graph inputs the caller must feed (initializers excluded). */
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  /** Version of the default (`ai.onnx`) operator set, when the model imports it. */
  readonly opset?: number;
  /** `producer_name` and `producer_version`, e.g. `pytorch 2.3.0`, when present. */
  readonly producer?: string;
  /** Nodes of the graph, subgraphs (If, Loop, Scan bodies) included. */
  readonly nodeCount: number;
  /** Node count per operator; operators outside `ai.onnx` are prefixed with their domain. */
  readonly operators: Record<string, number>;
  /**
   * The names of the symbolic dimensions (`dim_param`) of each input and output, by
   * position: `undefined` where a dimension has a size or no name. An output of unknown
   * rank has no entry.
   */
  readonly dimNames: Readonly<Record<string, readonly (string | undefined)[]>>;
}

/** ONNX `TensorProto.DataType` of each platform datatype. */
export const ONNX_ELEM_TYPES: Readonly<Record<Datatype, number>> = {
  FP32: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BYTES: 8,
  BOOL: 9,
  FP16: 10,
  FP64: 11,
  UINT32: 12,
  UINT64: 13,
};

const DATATYPE_OF_ELEM_TYPE = new Map<number, Datatype>(
  DATATYPES.map((datatype) => [ONNX_ELEM_TYPES[datatype], datatype]),
);

/** Names of ONNX element types the platform does not serve, for messages. */
const UNSUPPORTED_ELEM_TYPES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
  23: 'FLOAT4E2M1',
};

/**
 * Reads the inputs, outputs and operators of an ONNX model from its bytes. Pure and
 * WASM-free, so registration can check a model without loading it.
 *
 * Dimensions given by name (`dim_param`) or not at all become `-1`. Throws
 * `BadRequestError` `invalid_model` for bytes that are not an ONNX model, and
 * `unsupported_model` for inputs or outputs the platform cannot serve (non-tensor values,
 * datatypes outside the 13 of the Open Inference Protocol, inputs of unknown rank).
 *
 * @example
 * const schema = readOnnxSchema(await readFile('model.onnx'));
 * schema.inputs; // [{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }]
 */
export function readOnnxSchema(bytes: Uint8Array): OnnxSchema {
  if (bytes.byteLength === 0) throw invalidModel('the file is empty');
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // protobufjs reports a read past the end as "index out of range: <at> + <length> > <size>".
    const cut = /index out of range: \d+ \+ \d+ > (\d+)/.exec(reason);
    throw invalidModel(
      cut !== null && Number(cut[1]) === bytes.byteLength
        ? `it is not a valid ONNX protobuf: the file ends in the middle of a field after ${bytes.byteLength} bytes (truncated?)`
        : `it is not a valid ONNX protobuf (${reason})`,
      error,
    );
  }
  const graph = model.graph;
  if (toNumber(model.irVersion) <= 0 || graph === null || graph === undefined) {
    throw invalidModel('it has no IR version or no graph; is it an ONNX model?');
  }
  const initializers = new Set<string>();
  for (const tensor of graph.initializer ?? []) initializers.add(tensor.name ?? '');
  for (const sparse of graph.sparseInitializer ?? []) initializers.add(sparse.values?.name ?? '');

  const fed = (graph.input ?? []).filter((value) => !initializers.has(value.name ?? ''));
  const inputs = fed.map((value) => toTensorSpec(value, 'input'));
  const outputs = (graph.output ?? []).map((value) => toTensorSpec(value, 'output'));
  if (outputs.length === 0) throw invalidModel('its graph has no outputs');
  const dimNames: Record<string, (string | undefined)[]> = {};
  for (const value of [...fed, ...(graph.output ?? [])]) {
    const dims = value.type?.tensorType?.shape?.dim;
    if (dims !== null && dims !== undefined) {
      dimNames[value.name ?? ''] = dims.map((dim) => (dim.dimParam ? dim.dimParam : undefined));
    }
  }

  const operators: Record<string, number> = {};
  const nodeCount = countNodes(graph, operators);
  const opsetImport = (model.opsetImport ?? []).find((entry) => !entry.domain || entry.domain === 'ai.onnx');
  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ');
  return {
    inputs,
    outputs,
    ...(opsetImport === undefined ? {} : { opset: toNumber(opsetImport.version) }),
    ...(producer === '' ? {} : { producer }),
    nodeCount,
    operators,
    dimNames,
  };
}

function toTensorSpec(value: onnx.IValueInfoProto, role: 'input' | 'output'): TensorSpec {
  const name = value.name ?? '';
  if (name === '') throw invalidModel(`an ${role} of its graph has no name`);
  const tensorType = value.type?.tensorType;
  if (tensorType === null || tensorType === undefined) {
    throw unsupported(`${role} '${name}' is not a tensor (sequences, maps and optionals are not served)`);
  }
  const elemType = tensorType.elemType ?? 0;
  const datatype = DATATYPE_OF_ELEM_TYPE.get(elemType);
  if (datatype === undefined) {
    const typeName = UNSUPPORTED_ELEM_TYPES[elemType] ?? `element type ${elemType}`;
    throw unsupported(
      `${role} '${name}' has datatype ${typeName}, which the Open Inference Protocol cannot carry`,
    );
  }
  const shapeProto = tensorType.shape;
  if (shapeProto === null || shapeProto === undefined) {
    // Requests are checked against the rank of each input, so an input needs one; an
    // output of unknown rank is reported as one dynamic dimension, the closest OIP shape.
    if (role === 'input') throw unsupported(`input '${name}' has no declared shape (unknown rank)`);
    return { name, datatype, shape: [-1] };
  }
  const shape = (shapeProto.dim ?? []).map((dim) => {
    const size = dim.dimValue === null || dim.dimValue === undefined ? -1 : toNumber(dim.dimValue);
    return size >= 0 && !dim.dimParam ? size : -1;
  });
  return { name, datatype, shape };
}

function countNodes(graph: onnx.IGraphProto, operators: Record<string, number>): number {
  let count = 0;
  for (const node of graph.node ?? []) {
    count++;
    const domain = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.` : '';
    const key = `${domain}${node.opType ?? ''}`;
    operators[key] = (operators[key] ?? 0) + 1;
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) count += countNodes(attribute.g, operators);
      for (const subgraph of attribute.graphs ?? []) count += countNodes(subgraph, operators);
    }
  }
  return count;
}

/** protobufjs gives int64 fields as `Long` objects when the `long` package is present. */
function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

function invalidModel(reason: string, cause?: unknown): BadRequestError {
  return new BadRequestError('invalid_model', `the model file is not a valid ONNX model: ${reason}`, {
    cause,
  });
}

function unsupported(reason: string): BadRequestError {
  return new BadRequestError('unsupported_model', `the model cannot be served: ${reason}`);
}
