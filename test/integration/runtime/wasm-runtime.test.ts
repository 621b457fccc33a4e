import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { WasmRuntime } from '../../../functions/adapters/onnx/wasm-runtime';
import { describeRuntimeContract } from './runtime-contract';

describeRuntimeContract('WasmRuntime', () => WasmRuntime.create());

describe('WasmRuntime.create', () => {
  type WasmRuntimeModule = typeof import('../../../functions/adapters/onnx/wasm-runtime');

  /** Creates a runtime over a fresh onnxruntime-web: its WASM settings and state are process-wide. */
  function createIsolated(wasmDir: string): Promise<unknown> {
    let fresh: WasmRuntimeModule | undefined;
    jest.isolateModules(() => {
      fresh = jest.requireActual<WasmRuntimeModule>('../../../functions/adapters/onnx/wasm-runtime');
    });
    if (fresh === undefined) throw new Error('the module did not load');
    return fresh.WasmRuntime.create({ wasmDir });
  }

  it('loads the WASM from wasmDir', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'ort-wasm-'));
    const packageDist = join(__dirname, '..', '..', '..', 'node_modules', 'onnxruntime-web', 'dist');

    await expect(createIsolated(emptyDir)).rejects.toThrow(emptyDir);
    await expect(createIsolated(packageDist)).resolves.toBeDefined();
  });

  it('refuses a thread count that is not a positive integer', async () => {
    await expect(WasmRuntime.create({ numThreads: 0 })).rejects.toThrow(
      'numThreads must be a positive integer, got 0',
    );
  });

  it('refuses a WASM tiering budget that V8 cannot hold', async () => {
    await expect(WasmRuntime.create({ tieringBudget: 0 })).rejects.toThrow(
      'tieringBudget must be an integer from 1 to 2147483647, got 0',
    );
    await expect(WasmRuntime.create({ tieringBudget: 2 ** 31 })).rejects.toThrow(RangeError);
  });
});
