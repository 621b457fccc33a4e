import * as ort from 'onnxruntime-web';
import type { Tier } from '../../core/registry/types';
import type { TierRuntime } from '../../core/validation';
import { WasmRuntime, type WasmRuntimeOptions } from './wasm-runtime';

/**
 * The runtimes registration checks models on, for a function that has only
 * onnxruntime-web: the Lambda tier's own runtime (the inference function's, configured the
 * same way), which also stands in for the SageMaker tier, whose GPU runtime (Triton with
 * onnxruntime) is not available at registration. The description recorded on each
 * version says which runtime checked it.
 *
 * The runtime is created on first use, so functions that never register a model do not
 * compile the WASM module; a failed creation is retried by the next call.
 *
 * @example
 * const validator = new ModelValidator({ runtimes: wasmTierRuntimes({ wasmDir }), maxModelBytes });
 */
export function wasmTierRuntimes(options: WasmRuntimeOptions = {}): Readonly<Record<Tier, TierRuntime>> {
  let created: Promise<WasmRuntime> | undefined;
  const runtime = (): Promise<WasmRuntime> => {
    created ??= WasmRuntime.create(options).catch((error: unknown) => {
      created = undefined;
      throw error;
    });
    return created;
  };
  const wasm = `onnxruntime-web ${ort.env.versions.web ?? ort.env.versions.common} (wasm)`;
  return {
    lambda: { description: wasm, runtime },
    sagemaker: { description: `${wasm}, CPU stand-in for the SageMaker tier's GPU runtime`, runtime },
  };
}
