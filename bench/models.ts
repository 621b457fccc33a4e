import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Tensor } from '../functions/core/tensors/tensor';
import { quantizeModel } from '../models/quantize';
import { exportDigitsModel, loadDigits, trainDigits, DIGITS_INPUT } from '../models/recipes/digits';
import { DEMO_MODEL, pretrainedFile } from '../models/pretrained';

/** A model the bench runs, in float32 and dynamic int8, with one batch-1 input. */
export interface BenchModel {
  readonly name: string;
  readonly description: string;
  readonly fp32: Uint8Array;
  readonly int8: Uint8Array;
  readonly feeds: Readonly<Record<string, Tensor>>;
}

export const RESULTS_DIR = path.join(__dirname, '.results');

/** Deterministic values in [-0.9, 0.9]: the same input for every runtime. */
export function demoInput(): Float32Array {
  const data = new Float32Array(3 * 48 * 192);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 0.9;
  return data;
}

export async function textDirectionModel(): Promise<BenchModel> {
  const fp32 = new Uint8Array(await readFile(pretrainedFile(DEMO_MODEL.file)));
  return {
    name: DEMO_MODEL.name,
    description: 'PaddleOCR text-direction classifier, input x 1x3x48x192 FP32',
    fp32,
    int8: (await quantizeModel(fp32, { mode: 'dynamic-int8' })).bytes,
    feeds: { x: { datatype: 'FP32', shape: [...DEMO_MODEL.inputShape], data: demoInput() } },
  };
}

/**
 * The digits MLP of models/recipes/digits (64-256-128-10), trained once with few epochs
 * (latency does not depend on accuracy) and cached in bench/.results/.
 */
export async function digitsModel(epochs: number): Promise<BenchModel> {
  const file = path.join(RESULTS_DIR, `digits-${epochs}-epochs.onnx`);
  let fp32: Uint8Array;
  if (existsSync(file)) {
    fp32 = new Uint8Array(await readFile(file));
  } else {
    const result = await trainDigits(await loadDigits(), { epochs });
    fp32 = exportDigitsModel(result);
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(file, fp32);
  }
  const data = new Float32Array(64);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 17;
  return {
    name: 'digits',
    description: `digits MLP 64-256-128-10 (recipe, ${epochs} epochs), input ${DIGITS_INPUT} 1x64 FP32`,
    fp32,
    int8: (await quantizeModel(fp32, { mode: 'dynamic-int8' })).bytes,
    feeds: { [DIGITS_INPUT]: { datatype: 'FP32', shape: [1, 64], data } },
  };
}
