import { exportDigitsModel, loadDigits, trainDigits } from '../../models/recipes/digits';

let trained: Promise<Uint8Array> | undefined;

/**
 * The digits recipe's ONNX model, trained in this test process (fixed seed, few epochs: a
 * real model in seconds), once per process. Tests never depend on files a build left in
 * `models/build/`: a fresh clone has none.
 */
export function trainedDigitsOnnx(): Promise<Uint8Array> {
  trained ??= (async () => {
    const dataset = await loadDigits();
    return exportDigitsModel(await trainDigits(dataset, { epochs: 4, seed: 7 }));
  })();
  return trained;
}
