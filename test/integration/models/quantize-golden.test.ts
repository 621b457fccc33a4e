import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WasmRuntime } from '../../../functions/adapters/onnx/wasm-runtime';
import {
  GOLDEN_DIR,
  GOLDEN_EXPECTED_FILE,
  GOLDEN_FORMATS,
  GOLDEN_MODEL_FILE,
  goldenModel,
  goldenProbe,
  quantizeGolden,
  sha256,
  type GoldenExpected,
  type GoldenFormat,
} from '../../../models/quantize/golden';
import { summarizeGraph } from '../../../models/quantize/graph-summary';
import { QUANTIZE_MODES } from '../../../models/quantize';

/**
 * Golden test of the quantizer: quantizing the checked-in tiny CNN must give exactly the
 * checked-in graphs (summary and bytes hash) and, on onnxruntime-web, the checked-in
 * outputs. After a deliberate change, regenerate with `npx tsx models/quantize/golden.ts`
 * and review the diff of expected.json.
 */
describe('quantizer golden files', () => {
  const expected = JSON.parse(
    readFileSync(path.join(GOLDEN_DIR, GOLDEN_EXPECTED_FILE), 'utf8'),
  ) as GoldenExpected;
  const fixture = readFileSync(path.join(GOLDEN_DIR, GOLDEN_MODEL_FILE));
  let runtime: WasmRuntime;

  beforeAll(async () => {
    runtime = await WasmRuntime.create();
  });

  async function outputOf(bytes: Uint8Array): Promise<number[]> {
    const model = await runtime.load(bytes);
    try {
      const { y } = await model.run(goldenProbe());
      return Array.from(y?.data ?? [], Number);
    } finally {
      await model.release();
    }
  }

  it('has the fixture the generator builds', () => {
    expect(sha256(fixture)).toBe(expected.float.sha256);
    expect(sha256(goldenModel())).toBe(expected.float.sha256);
  });

  it.each(QUANTIZE_MODES)('quantizes to the expected graph in %s mode', async (mode) => {
    const bytes = await quantizeGolden(mode, runtime);

    expect(summarizeGraph(bytes)).toEqual(expected.modes[mode].summary);
    expect(sha256(bytes)).toBe(expected.modes[mode].sha256);
  });

  it.each(QUANTIZE_MODES)('runs the %s model on onnxruntime-web with the expected outputs', async (mode) => {
    const float = await outputOf(fixture);
    const quantized = await outputOf(await quantizeGolden(mode, runtime));

    quantized.forEach((value, i) => {
      expect(value).toBeCloseTo(expected.modes[mode].output[i] ?? NaN, 5);
      // And close to the float model: these are probabilities.
      expect(Math.abs(value - (float[i] ?? NaN))).toBeLessThan(0.01);
    });
    float.forEach((value, i) => expect(value).toBeCloseTo(expected.float.output[i] ?? NaN, 5));
  });

  it.each(Object.keys(GOLDEN_FORMATS) as GoldenFormat[])(
    'quantizes to the expected graph and outputs in %s',
    async (name) => {
      const { mode, format } = GOLDEN_FORMATS[name];
      const bytes = await quantizeGolden(mode, runtime, format);
      const float = await outputOf(fixture);
      const quantized = await outputOf(bytes);

      expect(summarizeGraph(bytes)).toEqual(expected.formats[name].summary);
      expect(sha256(bytes)).toBe(expected.formats[name].sha256);
      quantized.forEach((value, i) => {
        expect(value).toBeCloseTo(expected.formats[name].output[i] ?? NaN, 5);
        expect(Math.abs(value - (float[i] ?? NaN))).toBeLessThan(0.01);
      });
    },
  );
});
