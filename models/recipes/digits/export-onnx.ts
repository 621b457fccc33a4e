import { buildOnnxModel, type InitializerSpec, type NodeSpec } from '../../onnx/builder';
import { DIGITS_CLASSES, DIGITS_FEATURES } from './dataset';
import type { Mlp } from './mlp';
import type { DigitsTrainingResult } from './train';

/** Graph input and output names of the exported digits model. */
export const DIGITS_INPUT = 'pixels';
export const DIGITS_OUTPUT = 'probabilities';

/** `metadata_props` keys of an exported digits model. */
export const DIGITS_METADATA = {
  recipe: 'infergate.recipe',
  seed: 'training.seed',
  epochs: 'training.epochs',
  heldOutAccuracy: 'training.heldout_accuracy',
  heldOutFraction: 'training.heldout_fraction',
  config: 'training.config',
  data: 'training.data',
  labels: 'labels',
  preprocessing: 'preprocessing',
} as const;

/** The value of `infergate.recipe` for digits models. */
export const DIGITS_RECIPE = 'digits';

/**
 * The ONNX graph of a network: `Gemm -> Relu` per hidden layer, then `Gemm -> Softmax`,
 * from `pixels` FP32 [batch, 64] (values in [0, 1]) to `probabilities` FP32 [batch, 10].
 * Opset 13.
 *
 * @example
 * const bytes = exportMlpOnnx(result.mlp, { 'training.seed': '42' });
 */
export function exportMlpOnnx(mlp: Mlp, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const nodes: NodeSpec[] = [];
  const initializers: InitializerSpec[] = [];
  let input: string = DIGITS_INPUT;
  mlp.layers.forEach((layer, index) => {
    const last = index === mlp.layers.length - 1;
    const weights = `dense${index}.weight`;
    const bias = `dense${index}.bias`;
    initializers.push(
      {
        name: weights,
        tensor: { datatype: 'FP32', shape: [layer.inputs, layer.outputs], data: layer.weights },
      },
      { name: bias, tensor: { datatype: 'FP32', shape: [layer.outputs], data: layer.bias } },
    );
    const linear = last ? 'logits' : `dense${index}.linear`;
    nodes.push({ op: 'Gemm', name: `dense${index}`, inputs: [input, weights, bias], outputs: [linear] });
    if (last) {
      nodes.push({
        op: 'Softmax',
        name: 'softmax',
        inputs: [linear],
        outputs: [DIGITS_OUTPUT],
        attributes: { axis: { int: -1 } },
      });
    } else {
      input = `dense${index}.relu`;
      nodes.push({ op: 'Relu', name: `relu${index}`, inputs: [linear], outputs: [input] });
    }
  });
  return buildOnnxModel({
    name: 'digits_mlp',
    opset: 13,
    docString:
      'Handwritten digit classifier (UCI optdigits 8x8), an MLP trained by infergate models/recipes/digits.',
    inputs: [{ name: DIGITS_INPUT, datatype: 'FP32', shape: ['batch', DIGITS_FEATURES] }],
    outputs: [{ name: DIGITS_OUTPUT, datatype: 'FP32', shape: ['batch', DIGITS_CLASSES] }],
    initializers,
    nodes,
    metadata,
  });
}

/** The training record stored in the model's `metadata_props`. */
export function digitsMetadata(result: DigitsTrainingResult): Record<string, string> {
  const { config, final } = result;
  return {
    [DIGITS_METADATA.recipe]: DIGITS_RECIPE,
    [DIGITS_METADATA.seed]: String(config.seed),
    [DIGITS_METADATA.epochs]: String(config.epochs),
    [DIGITS_METADATA.heldOutAccuracy]: final.heldOutAccuracy.toFixed(4),
    [DIGITS_METADATA.heldOutFraction]: String(config.heldOutFraction),
    [DIGITS_METADATA.config]: JSON.stringify(config),
    [DIGITS_METADATA.data]:
      'UCI Optical Recognition of Handwritten Digits, test set (1,797 rows), as sklearn digits.csv.gz; CC BY 4.0',
    [DIGITS_METADATA.labels]: Array.from({ length: DIGITS_CLASSES }, (_, i) => String(i)).join(','),
    [DIGITS_METADATA.preprocessing]: '8x8 grayscale, row-major, pixel values 0..16 divided by 16',
  };
}

/** Exports a trained digits model with its training record. */
export function exportDigitsModel(result: DigitsTrainingResult): Uint8Array {
  return exportMlpOnnx(result.mlp, digitsMetadata(result));
}
