/**
 * Jest environment for tests of onnxruntime-node. Its native addon creates output typed
 * arrays in Node's own realm, and onnxruntime-common (loaded in the test realm) checks them
 * with `instanceof`, which fails across realms. Jest already shares Node's `Uint8Array`
 * with the test realm for the same reason; this shares the other typed arrays too. Plain
 * Node has one realm and needs none of this.
 */
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class NativeRealmEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = NativeRealmEnvironment;
