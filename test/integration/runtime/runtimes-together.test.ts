/**
 * @jest-environment ./test/integration/runtime/native-realm-environment.js
 */
// Imported in this order on purpose: onnxruntime-web registers the backend name 'cpu' first,
// which onnxruntime-common then keeps bound to WASM even after onnxruntime-node loads.
import { WasmRuntime } from '../../../functions/adapters/onnx/wasm-runtime';
import { NativeRuntime } from '../../../functions/adapters/onnx/native-runtime';
import { readFileSync } from 'node:fs';
import type { LoadedModel } from '../../../functions/core/runtime/model-runtime';
import { CLASSIFIER_PATH, fixture, infer } from './runtime-contract';

describe('WasmRuntime and NativeRuntime in one process', () => {
  const models: LoadedModel[] = [];

  afterAll(async () => {
    await Promise.all(models.map((model) => model.release()));
  });

  async function broadcastFailure(model: LoadedModel): Promise<string> {
    models.push(model);
    try {
      await infer(model, {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
          { name: 'b', datatype: 'FP32', shape: [4, 3], data: new Array(12).fill(1) },
        ],
      });
    } catch (error) {
      return String(error);
    }
    throw new Error('expected the broadcast to fail');
  }

  it('each runs on its own backend', async () => {
    const wasm = await WasmRuntime.create();
    const native = await NativeRuntime.create();

    // The two bindings word kernel failures differently, which tells the backends apart.
    const fromWasm = await broadcastFailure(await wasm.load(fixture('add-mul.onnx')));
    const fromNative = await broadcastFailure(await native.load(fixture('add-mul.onnx')));

    expect(fromWasm).not.toMatch('Non-zero status code');
    expect(fromNative).toMatch("Non-zero status code returned while running Mul node. Name:'Mul_1'");
  });

  it('agree on the PaddleOCR classifier', async () => {
    const bytes = readFileSync(CLASSIFIER_PATH);
    const image = Array.from({ length: 2 * 3 * 48 * 192 }, (_, i) => Math.cos(i / 30));
    const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3, 48, 192], data: image }] };
    const wasmModel = await (await WasmRuntime.create()).load(bytes);
    const nativeModel = await (await NativeRuntime.create()).load(bytes);
    models.push(wasmModel, nativeModel);

    const [fromWasm, fromNative] = await Promise.all([infer(wasmModel, body), infer(nativeModel, body)]);

    const wasmData = (fromWasm.outputs[0]?.data ?? []).map(Number);
    const nativeData = (fromNative.outputs[0]?.data ?? []).map(Number);
    expect(wasmData).toHaveLength(4);
    wasmData.forEach((value, i) => expect(value).toBeCloseTo(nativeData[i] ?? NaN, 4));
  });
});
