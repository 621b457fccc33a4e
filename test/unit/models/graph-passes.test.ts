import { buildOnnxModel, type ModelSpec } from '../../../models/onnx/builder';
import { convertToFloat16 } from '../../../models/quantize/float16';
import { summarizeGraph } from '../../../models/quantize/graph-summary';
import {
  decodeModel,
  encodeModel,
  initializerMap,
  readFloats,
  readIntegers,
  sortTopologically,
} from '../../../models/quantize/onnx-graph';
import { opsetUpgradeProblems, upgradeOpset } from '../../../models/quantize/opset-upgrade';
import { constantsToInitializers, foldBatchNormalization } from '../../../models/quantize/prepare';

const fp32 = (shape: number[], values: number[]) => ({
  datatype: 'FP32' as const,
  shape,
  data: new Float32Array(values),
});

function convBn(opset = 13): ModelSpec {
  return {
    opset,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1, 2, 2] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2, 2, 2] }],
    initializers: [
      { name: 'scale', tensor: fp32([2], [2, 0.5]) },
      { name: 'beta', tensor: fp32([2], [1, 0]) },
      { name: 'mean', tensor: fp32([2], [0.5, -1]) },
      { name: 'var', tensor: fp32([2], [3, 15]) },
    ],
    nodes: [
      {
        op: 'Constant',
        inputs: [],
        outputs: ['w'],
        attributes: { value: { tensor: fp32([2, 1, 1, 1], [1, -2]) } },
      },
      { op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'] },
      {
        op: 'BatchNormalization',
        inputs: ['c', 'scale', 'beta', 'mean', 'var'],
        outputs: ['y'],
        attributes: { epsilon: { float: 1 } },
      },
    ],
  };
}

describe('constantsToInitializers', () => {
  it('turns Constant nodes into initializers named after their output', () => {
    const { graph } = decodeModel(buildOnnxModel(convBn()));

    constantsToInitializers(graph);

    expect((graph.node ?? []).map((node) => node.opType)).toEqual(['Conv', 'BatchNormalization']);
    const w = initializerMap(graph).get('w');
    expect(w === undefined ? undefined : Array.from(readFloats(w) ?? [])).toEqual([1, -2]);
  });
});

describe('foldBatchNormalization', () => {
  it('folds BN into the conv: W * s and (B - mean) * s + beta with s = scale / sqrt(var + eps)', () => {
    const { graph } = decodeModel(buildOnnxModel(convBn()));
    constantsToInitializers(graph);

    const folded = foldBatchNormalization(graph);

    expect(folded).toBe(1);
    expect(
      (graph.node ?? []).map(
        (node) => `${node.opType}(${(node.input ?? []).join(',')})->${node.output?.[0]}`,
      ),
    ).toEqual(['Conv(x,w,w_bias)->y']);
    const initializers = initializerMap(graph);
    // s = [2 / sqrt(4), 0.5 / sqrt(16)] = [1, 0.125]
    expect(Array.from(readFloats(initializers.get('w') ?? {}) ?? [])).toEqual([1, -0.25]);
    expect(Array.from(readFloats(initializers.get('w_bias') ?? {}) ?? [])).toEqual([0.5, 0.125]);
    expect([...initializers.keys()].sort()).toEqual(['w', 'w_bias']);
  });

  it('leaves a conv whose output something else also reads', () => {
    const spec = convBn();
    const { graph } = decodeModel(
      buildOnnxModel({ ...spec, outputs: [...spec.outputs, { name: 'c', datatype: 'FP32' }] }),
    );
    constantsToInitializers(graph);

    expect(foldBatchNormalization(graph)).toBe(0);
  });
});

describe('upgradeOpset', () => {
  const old: ModelSpec = {
    opset: 9,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3, 4] }],
    outputs: [
      { name: 'clipped', datatype: 'FP32', shape: [2, 3, 4] },
      { name: 'sliced', datatype: 'FP32', shape: [2, 3, 2] },
      { name: 'soft', datatype: 'FP32', shape: [2, 3, 4] },
      { name: 'dropped', datatype: 'FP32', shape: [2, 3, 4] },
    ],
    nodes: [
      {
        op: 'Clip',
        name: 'clip',
        inputs: ['x'],
        outputs: ['clipped'],
        attributes: { min: { float: 0 }, max: { float: 6 } },
      },
      {
        op: 'Slice',
        name: 'slice',
        inputs: ['x'],
        outputs: ['sliced'],
        attributes: { starts: { ints: [1] }, ends: { ints: [3] }, axes: { ints: [2] } },
      },
      { op: 'Softmax', name: 'softmax', inputs: ['x'], outputs: ['soft'], attributes: { axis: { int: 1 } } },
      {
        op: 'Dropout',
        name: 'dropout',
        inputs: ['x'],
        outputs: ['dropped'],
        attributes: { ratio: { float: 0.5 } },
      },
    ],
  };

  it('moves Clip and Slice attributes to inputs, spells out the old Softmax, drops Dropout', () => {
    const { model } = decodeModel(buildOnnxModel(old));

    expect(upgradeOpset(model)).toBe(true);

    const summary = summarizeGraph(encodeModel(model));
    expect(summary.opset).toBe(13);
    expect(summary.nodes).toEqual([
      'Clip(x, clip_min, clip_max) -> clipped',
      'Slice(x, slice_starts, slice_ends, slice_axes) -> sliced',
      'Flatten(x) -> softmax_flat {axis=1}',
      'Softmax(softmax_flat) -> softmax_2d {axis=-1}',
      'Shape(x) -> softmax_shape',
      'Reshape(softmax_2d, softmax_shape) -> soft',
      'Identity(x) -> dropped',
    ]);
    const initializers = initializerMap(model.graph ?? {});
    expect(readIntegers(initializers.get('slice_starts') ?? {})).toEqual([1]);
    expect(Array.from(readFloats(initializers.get('clip_max') ?? {}) ?? [])).toEqual([6]);
  });

  it('keeps Softmax when its axis is the last one', () => {
    const { model } = decodeModel(
      buildOnnxModel({
        ...old,
        outputs: [{ name: 'soft', datatype: 'FP32', shape: [2, 3] }],
        nodes: old.nodes.filter((node) => node.op === 'Softmax'),
      }),
    );

    upgradeOpset(model);

    expect(summarizeGraph(encodeModel(model)).nodes).toEqual(['Softmax(x) -> soft {axis=-1}']);
  });

  it('refuses a graph with an operator whose meaning changed, and leaves it untouched', () => {
    const spec: ModelSpec = {
      opset: 9,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1, 2, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32' }],
      initializers: [{ name: 'scales', tensor: fp32([4], [1, 1, 2, 2]) }],
      nodes: [{ op: 'Upsample', inputs: ['x', 'scales'], outputs: ['y'] }],
    };
    const { model } = decodeModel(buildOnnxModel(spec));

    expect(opsetUpgradeProblems(model, 13)).toEqual(['operator Upsample changed between opset 9 and 13']);
    expect(upgradeOpset(model)).toBe(false);
    expect(encodeModel(model)).toEqual(buildOnnxModel(spec));
  });
});

describe('convertToFloat16', () => {
  it('converts initializers and keeps float32 inputs and outputs behind Cast nodes', () => {
    const { model, graph } = decodeModel(buildOnnxModel(convBn()));
    constantsToInitializers(graph);

    convertToFloat16(graph, true);

    const summary = summarizeGraph(encodeModel(model));
    expect(summary.nodes).toEqual([
      'Cast(x) -> x_float16 {to=10}',
      'Conv(x_float16, w) -> c',
      'BatchNormalization(c, scale, beta, mean, var) -> y_float16',
      'Cast(y_float16) -> y {to=1}',
    ]);
    expect(summary.initializers).toEqual([
      'beta: FLOAT16[2]',
      'mean: FLOAT16[2]',
      'scale: FLOAT16[2]',
      'var: FLOAT16[2]',
      'w: FLOAT16[2, 1, 1, 1]',
    ]);
  });
});

describe('sortTopologically', () => {
  it('puts producers before readers and keeps an order that already is one', () => {
    const { graph } = decodeModel(
      buildOnnxModel({
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }],
        outputs: [{ name: 'z', datatype: 'FP32', shape: [1] }],
        nodes: [
          { op: 'Neg', name: 'last', inputs: ['y'], outputs: ['z'] },
          { op: 'Relu', name: 'first', inputs: ['x'], outputs: ['y'] },
          { op: 'Abs', name: 'free', inputs: ['x'], outputs: ['unused'] },
        ],
      }),
    );

    sortTopologically(graph);

    expect((graph.node ?? []).map((node) => node.name)).toEqual(['first', 'last', 'free']);
  });
});
