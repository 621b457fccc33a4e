import { createHash } from 'node:crypto';
import { WasmRuntime } from '../../../functions/adapters/onnx/wasm-runtime';
import type { LoadedModel } from '../../../functions/core/runtime/model-runtime';
import { SessionCache } from '../../../functions/core/runtime/session-cache';
import { fixture, infer } from './runtime-contract';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('SessionCache over WasmRuntime', () => {
  const addMul = fixture('add-mul.onnx');
  const scalar = fixture('scalar.onnx');
  const body = {
    inputs: [
      { name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
      { name: 'b', datatype: 'FP32', shape: [1, 3], data: [1, 1, 1] },
    ],
    outputs: [{ name: 'sum' }],
  };

  it('runs models, and releases an evicted session after its run in flight', async () => {
    const runtime = await WasmRuntime.create();
    // Room for add-mul alone: loading scalar evicts it.
    const cache = new SessionCache({ runtime, maxBytes: addMul.byteLength });
    let evicted: LoadedModel | undefined;

    const inFlight = cache.use(
      sha256(addMul),
      async () => addMul,
      async (model) => {
        evicted = model;
        await cache.use(
          sha256(scalar),
          async () => scalar,
          (other) => infer(other, { inputs: [{ name: 'x', datatype: 'FP32', shape: [], data: 2 }] }),
        );
        return infer(model, body);
      },
    );
    const response = await inFlight;

    expect(response.outputs[0]?.data).toEqual([2, 3, 4]);
    expect(cache.stats().models).toEqual([sha256(scalar)]);
    // Released: the same request that ran a moment ago now finds no session.
    if (evicted === undefined) throw new Error('the model was not used');
    await expect(infer(evicted, body)).rejects.toThrow(/invalid session id/);
  });

  it('loads again after a corrupt artifact', async () => {
    const runtime = await WasmRuntime.create();
    const cache = new SessionCache({ runtime, maxBytes: 1 << 20 });

    await expect(
      cache.use(
        sha256(addMul),
        async () => scalar,
        (model) => infer(model, body),
      ),
    ).rejects.toMatchObject({
      status: 502,
      code: 'artifact_corrupt',
    });
    const response = await cache.use(
      sha256(addMul),
      async () => addMul,
      (model) => infer(model, body),
    );

    expect(response.outputs[0]?.data).toEqual([2, 3, 4]);
  });
});
