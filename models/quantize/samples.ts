import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InfergateError } from '../../functions/core/errors';
import type { TensorSpec } from '../../functions/core/tensors/datatypes';
import { decodeInferRequest } from '../../functions/core/tensors/oip-codec';
import type { Tensor } from '../../functions/core/tensors/tensor';
import { randomTensorData } from '../../functions/core/validation/sample-inputs';
import { createRandom } from '../recipes/random';
import type { Feeds } from './calibrate';
import { QuantizeError } from './errors';
import type { EvaluationSet } from './evaluate';

/**
 * Where calibration and validation inputs come from when the caller brings them:
 * Open Inference Protocol JSON, or random tensors from the model's input schema.
 */

/**
 * Decodes calibration samples from parsed JSON: one infer request body
 * (`{"inputs": [{"name", "shape", "datatype", "data"}]}`) or an array of them. Each body
 * is one sample, checked against the model's inputs like an infer request.
 *
 * @param source - where the JSON came from, for messages
 */
export function decodeSamples(json: unknown, inputs: readonly TensorSpec[], source: string): Feeds[] {
  const bodies = Array.isArray(json) ? json : [json];
  return bodies.map((body, index) => {
    try {
      return decodeInferRequest(body, inputs, []).inputs;
    } catch (error) {
      const at = Array.isArray(json) ? `${source}[${index}]` : source;
      const reason =
        error instanceof InfergateError || error instanceof Error ? error.message : String(error);
      throw new QuantizeError('invalid_option', `calibration: ${at}: ${reason}`, { cause: error });
    }
  });
}

/**
 * Reads calibration samples from a `.json` file or from every `.json` file of a directory
 * (in name order); see {@link decodeSamples} for the format.
 */
export async function readSamples(location: string, inputs: readonly TensorSpec[]): Promise<Feeds[]> {
  const info = await stat(location).catch((cause: unknown) => {
    throw new QuantizeError('invalid_option', `calibration: no such file or directory: ${location}`, {
      cause,
    });
  });
  const files = info.isDirectory()
    ? (await readdir(location))
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => path.join(location, name))
    : [location];
  if (files.length === 0)
    throw new QuantizeError('invalid_option', `calibration: no .json files in ${location}`);
  const samples: Feeds[] = [];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new QuantizeError('invalid_option', `calibration: ${file} is not JSON: ${String(cause)}`, {
        cause,
      });
    }
    samples.push(...decodeSamples(json, inputs, file));
  }
  return samples;
}

/** Options of {@link randomSamples}. */
export interface RandomSampleOptions {
  readonly count: number;
  readonly seed: number;
  /** Size of every dynamic dimension (`-1`). @default 1 */
  readonly dynamicSize?: number;
  /** Concrete shapes by input name, overriding the schema's. */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
}

/**
 * Random inputs from the model's schema: floats uniform in [-1, 1], integers in [0, 10),
 * booleans at random; dynamic dimensions sized `dynamicSize` unless `shapes` says.
 * A last resort when no real data is at hand: agreement on noise says little about
 * agreement on real inputs.
 */
export function randomSamples(inputs: readonly TensorSpec[], options: RandomSampleOptions): Feeds[] {
  const random = createRandom(options.seed);
  const dynamicSize = options.dynamicSize ?? 1;
  return Array.from({ length: options.count }, () => {
    const feeds: Record<string, Tensor> = {};
    for (const spec of inputs) {
      const shape = options.shapes?.[spec.name] ?? spec.shape.map((dim) => (dim < 0 ? dynamicSize : dim));
      if (
        shape.length !== spec.shape.length ||
        shape.some((dim, i) => spec.shape[i] !== -1 && spec.shape[i] !== dim)
      ) {
        throw new QuantizeError(
          'invalid_option',
          `input shape of '${spec.name}': [${shape.join(', ')}] does not fit the model's [${spec.shape.join(', ')}]`,
        );
      }
      const count = shape.reduce((product, dim) => product * dim, 1);
      feeds[spec.name] = { datatype: spec.datatype, shape, data: randomData(spec, count, random.next) };
    }
    return feeds;
  });
}

function randomData(spec: TensorSpec, count: number, next: () => number): Tensor['data'] {
  if (spec.datatype === 'FP16' || spec.datatype === 'BYTES') {
    throw new QuantizeError(
      'invalid_option',
      `input '${spec.name}' is ${spec.datatype}: random inputs cannot be made for it; pass --calibration`,
    );
  }
  return randomTensorData(spec.datatype, count, next, 10);
}

/** An evaluation set of random inputs: 16 calibration and 64 validation samples. */
export function randomEvaluationSet(
  inputs: readonly TensorSpec[],
  options: Omit<RandomSampleOptions, 'count' | 'seed'> = {},
): EvaluationSet {
  return {
    description: 'random inputs from the model input schema (uniform in [-1, 1]; no real data given)',
    calibration: randomSamples(inputs, { ...options, count: 16, seed: 1 }),
    validation: randomSamples(inputs, { ...options, count: 64, seed: 2 }),
  };
}
