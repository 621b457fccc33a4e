/**
 * @jest-environment ./test/integration/runtime/native-realm-environment.js
 */
import { NativeRuntime } from '../../../functions/adapters/onnx/native-runtime';
import { describeRuntimeContract } from './runtime-contract';

describeRuntimeContract('NativeRuntime', () => NativeRuntime.create({ intraOpNumThreads: 1 }));

describe('NativeRuntime.create', () => {
  it('refuses a thread count that is not a positive integer', async () => {
    await expect(NativeRuntime.create({ intraOpNumThreads: 1.5 })).rejects.toThrow(
      'intraOpNumThreads must be a positive integer, got 1.5',
    );
  });
});
