import { WasmRuntime } from '../../functions/adapters/onnx/wasm-runtime';
import type { ModelRuntime } from '../../functions/core/runtime/model-runtime';
import { collectRanges, type Feeds } from './calibrate';
import { QuantizeError } from './errors';
import { convertToFloat16 } from './float16';
import {
  decodeModel,
  defaultOpset,
  encodeModel,
  removeUnusedInitializers,
  sortTopologically,
} from './onnx-graph';
import { opsetUpgradeProblems, upgradeOpset } from './opset-upgrade';
import { constantsToInitializers, foldBatchNormalization } from './prepare';
import { activationParams, type ActivationParams } from './quantization-math';
import {
  MICROSOFT_DOMAIN,
  rewriteDynamicInteger,
  rewriteIntegerToFloat,
  rewriteQdq,
  staticActivationTensors,
} from './rewrite-int8';
import { findWeightTargets } from './targets';

/** What to turn the float model into. */
export const QUANTIZE_MODES = ['dynamic-int8', 'static-int8', 'fp16'] as const;
export type QuantizeMode = (typeof QUANTIZE_MODES)[number];

/**
 * How int8 is written into the graph:
 *
 * - `qdq`: DequantizeLinear on int8 weights, plus QuantizeLinear/DequantizeLinear pairs on
 *   activations in static mode (standard ONNX; onnxruntime fuses them into QLinearConv,
 *   QGemm, QLinearMatMul with uint8 outputs).
 * - `integer` (dynamic-int8): DynamicQuantizeLinear then MatMulInteger/ConvInteger.
 * - `mixed` (dynamic-int8): Conv as QDQ, MatMul and Gemm as integer operators.
 * - `float-out` (static-int8): Conv as QDQ weights; MatMul and Gemm as a QuantizeLinear
 *   with the calibrated input scale, then onnxruntime's `com.microsoft`
 *   MatMulIntegerToFloat, which writes float32 (no requantization to uint8). Runs on
 *   onnxruntime only. The fastest form measured on onnxruntime-web for MatMul/Gemm models
 *   (docs/models.md, "Measured").
 */
export const INT8_FORMATS = ['qdq', 'integer', 'mixed', 'float-out'] as const;

/** The formats each int8 mode can write. */
const MODE_FORMATS: Readonly<Record<'dynamic-int8' | 'static-int8', readonly Int8Format[]>> = {
  'dynamic-int8': ['qdq', 'integer', 'mixed'],
  'static-int8': ['qdq', 'float-out'],
};
export type Int8Format = (typeof INT8_FORMATS)[number];

/** Options of {@link quantizeModel}. */
export interface QuantizeOptions {
  readonly mode: QuantizeMode;
  /**
   * static-int8: sample inputs (one `Feeds` per run) to measure activation ranges on.
   * Required for static-int8, ignored otherwise. A few dozen representative samples do.
   */
  readonly calibration?: readonly Feeds[];
  /**
   * Runs the float model on the calibration samples.
   * @default a WasmRuntime (onnxruntime-web), created on first need
   */
  readonly runtime?: ModelRuntime;
  /**
   * One weight scale per output channel (Conv output channels, Gemm/MatMul columns).
   * Per-channel QDQ needs opset 13; older graphs are raised to 13 when every operator
   * allows it, and fall back to per-tensor scales (with a warning) when not.
   * @default true
   */
  readonly perChannel?: boolean;
  /**
   * How int8 is written (see {@link INT8_FORMATS}): `qdq`, `integer` or `mixed` in
   * dynamic-int8; `qdq` or `float-out` in static-int8.
   * @default `mixed` for dynamic-int8 (measured fastest on onnxruntime-web, docs/models.md);
   * `qdq` for static-int8 (standard ONNX operators only)
   */
  readonly format?: Int8Format;
  /**
   * Names of Conv, MatMul and Gemm nodes to leave in float (the `--exclude` of the CLI);
   * a name that is not such a node is an `invalid_option` error.
   */
  readonly excludeNodes?: readonly string[];
  /**
   * fp16: keep float32 graph inputs and outputs, converted by Cast nodes at the edges.
   * @default true
   */
  readonly keepIoTypes?: boolean;
}

/** The quantized model and what was done to it. */
export interface QuantizedModel {
  readonly bytes: Uint8Array;
  readonly mode: QuantizeMode;
  /** int8 modes only. */
  readonly format?: Int8Format;
  readonly perChannel: boolean;
  /** Default opset before and after (raised for per-channel QDQ). */
  readonly opset: { readonly before: number; readonly after: number };
  /** BatchNormalization nodes folded into the preceding Conv. */
  readonly foldedBatchNorms: number;
  /** Nodes whose weights are now int8 (int8 modes). */
  readonly quantizedNodes: readonly string[];
  /** Activations given static scales (static-int8). */
  readonly calibratedTensors: number;
  /** Things the caller should know, e.g. a fallback to per-tensor scales. */
  readonly warnings: readonly string[];
}

/** Key of the `metadata_props` entry describing the quantization. */
export const QUANTIZATION_METADATA_KEY = 'infergate.quantization';

/**
 * Quantizes an ONNX model, written in TypeScript over the ONNX graph:
 *
 * - `dynamic-int8`: Conv, MatMul and Gemm weights to int8 (per channel), activations
 *   quantized at run time. No calibration data needed.
 * - `static-int8`: the same weights, plus uint8 activations with scales measured on
 *   calibration data, as QDQ pairs that onnxruntime fuses into integer kernels.
 * - `fp16`: float initializers to float16, for GPUs; inputs and outputs stay float32.
 *
 * The model is prepared first: Constant nodes become initializers and BatchNormalization
 * is folded into the preceding Conv.
 *
 * @example
 * const { bytes } = await quantizeModel(await readFile('model.onnx'), { mode: 'dynamic-int8' });
 * const calibrated = await quantizeModel(floatBytes, { mode: 'static-int8', calibration: [{ x: tensor }] });
 */
export async function quantizeModel(bytes: Uint8Array, options: QuantizeOptions): Promise<QuantizedModel> {
  const { mode } = options;
  if (!(QUANTIZE_MODES as readonly string[]).includes(mode)) {
    throw new QuantizeError(
      'invalid_option',
      `mode must be one of ${QUANTIZE_MODES.join(', ')}, got ${String(mode)}`,
    );
  }
  if (mode === 'static-int8' && (options.calibration === undefined || options.calibration.length === 0)) {
    throw new QuantizeError(
      'invalid_option',
      'calibration: static-int8 needs at least one calibration sample',
    );
  }
  if (options.format !== undefined && !(INT8_FORMATS as readonly string[]).includes(options.format)) {
    throw new QuantizeError(
      'invalid_option',
      `format must be one of ${INT8_FORMATS.join(', ')}, got ${String(options.format)}`,
    );
  }
  if (mode !== 'fp16' && options.format !== undefined && !MODE_FORMATS[mode].includes(options.format)) {
    const allowed = MODE_FORMATS[mode].map((format) => `'${format}'`).join(', ');
    const why = options.format === 'float-out' ? ' (float-out needs calibrated input scales)' : '';
    throw new QuantizeError(
      'invalid_option',
      `format: ${mode} is written as ${allowed}, not '${options.format}'${why}`,
    );
  }
  const { model, graph } = decodeModel(bytes);
  const before = defaultOpset(model);
  const warnings: string[] = [];
  constantsToInitializers(graph);
  const foldedBatchNorms = foldBatchNormalization(graph);

  if (mode === 'fp16') {
    convertToFloat16(graph, options.keepIoTypes ?? true);
    sortTopologically(graph);
    return finish({
      model,
      mode,
      perChannel: false,
      before,
      foldedBatchNorms,
      quantizedNodes: [],
      calibratedTensors: 0,
      warnings,
    });
  }

  const format: Int8Format = options.format ?? (mode === 'dynamic-int8' ? 'mixed' : 'qdq');
  let perChannel = options.perChannel ?? true;
  // QuantizeLinear, DequantizeLinear, MatMulInteger and ConvInteger exist from opset 10;
  // per-channel QDQ from 13.
  const needed = format !== 'integer' && perChannel ? 13 : 10;
  if (before < needed && !upgradeOpset(model, 13)) {
    const problems = opsetUpgradeProblems(model, 13);
    if (needed === 13 && before >= 10) {
      perChannel = false;
      warnings.push(`per-tensor scales: the model stays at opset ${before} (${problems.join('; ')})`);
    } else {
      throw new QuantizeError(
        'unsupported_model',
        `the model's opset ${before} cannot be raised to 13: ${problems.join('; ')}`,
      );
    }
  }
  const excluded = new Set(options.excludeNodes ?? []);
  const candidates = findWeightTargets(graph);
  const known = new Set(candidates.map((target) => target.node.name ?? ''));
  const unknown = [...excluded].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new QuantizeError(
      'invalid_option',
      `exclude: no Conv, MatMul or Gemm node with float weights is named ${unknown.map((name) => `'${name}'`).join(', ')}`,
    );
  }
  const targets = candidates.filter((target) => !excluded.has(target.node.name ?? ''));
  if (targets.length === 0)
    warnings.push('no Conv, MatMul or Gemm with float weights: nothing was quantized');

  let quantizedNodes: string[];
  let calibratedTensors = 0;
  if (mode === 'static-int8') {
    // float-out: only the MatMul/Gemm inputs get static scales; convs keep int8 weights only.
    const floatOut = format === 'float-out';
    const integerTargets = floatOut ? targets.filter((target) => target.op !== 'Conv') : [];
    const tensors = floatOut
      ? [...new Set(integerTargets.map((target) => target.node.input?.[0] ?? ''))]
      : staticActivationTensors(graph, targets);
    const activations = new Map<string, ActivationParams>();
    if (tensors.length > 0) {
      const runtime = options.runtime ?? (await defaultRuntime());
      const ranges = await collectRanges(model, tensors, options.calibration ?? [], runtime);
      for (const [name, range] of ranges) activations.set(name, activationParams(range.min, range.max));
    }
    calibratedTensors = activations.size;
    if (floatOut) {
      const convs = targets.filter((target) => target.op === 'Conv');
      quantizedNodes = [
        ...rewriteQdq(graph, convs, { perChannel }),
        ...rewriteIntegerToFloat(graph, integerTargets, { perChannel, activations }),
      ];
      if (quantizedNodes.length > convs.length) importOpset(model, MICROSOFT_DOMAIN, 1);
    } else {
      quantizedNodes = rewriteQdq(graph, targets, { perChannel, activations });
    }
  } else {
    const asQdq = targets.filter(
      (target) => format === 'qdq' || (format === 'mixed' && target.op === 'Conv'),
    );
    const asInteger = targets.filter((target) => !asQdq.includes(target));
    quantizedNodes = [
      ...rewriteQdq(graph, asQdq, { perChannel }),
      ...rewriteDynamicInteger(graph, asInteger, perChannel),
    ];
  }
  sortTopologically(graph);
  removeUnusedInitializers(graph);
  return finish({
    model,
    mode,
    format,
    perChannel,
    before,
    foldedBatchNorms,
    quantizedNodes,
    calibratedTensors,
    warnings,
  });
}

/** Adds an operator set import for `domain` unless the model has one. */
function importOpset(model: ReturnType<typeof decodeModel>['model'], domain: string, version: number): void {
  const imports = model.opsetImport ?? [];
  if (!imports.some((opset) => opset.domain === domain)) imports.push({ domain, version });
  model.opsetImport = imports;
}

function defaultRuntime(): Promise<ModelRuntime> {
  return WasmRuntime.create();
}

function finish(args: {
  readonly model: ReturnType<typeof decodeModel>['model'];
  readonly mode: QuantizeMode;
  readonly format?: Int8Format;
  readonly perChannel: boolean;
  readonly before: number;
  readonly foldedBatchNorms: number;
  readonly quantizedNodes: readonly string[];
  readonly calibratedTensors: number;
  readonly warnings: readonly string[];
}): QuantizedModel {
  const {
    model,
    mode,
    format,
    perChannel,
    before,
    foldedBatchNorms,
    quantizedNodes,
    calibratedTensors,
    warnings,
  } = args;
  const after = defaultOpset(model);
  const description = {
    mode,
    ...(format === undefined ? {} : { format, perChannel }),
    quantizedNodes: quantizedNodes.length,
    ...(mode === 'static-int8' ? { calibratedTensors } : {}),
  };
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((entry) => entry.key !== QUANTIZATION_METADATA_KEY),
    { key: QUANTIZATION_METADATA_KEY, value: JSON.stringify(description) },
  ];
  return {
    bytes: encodeModel(model),
    mode,
    ...(format === undefined ? {} : { format }),
    perChannel,
    opset: { before, after },
    foldedBatchNorms,
    quantizedNodes,
    calibratedTensors,
    warnings,
  };
}
