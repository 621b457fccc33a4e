/**
 * Lambda entry point of the data plane: the handler of ./handler.ts, with its cold-start work
 * (the WASM runtime, the preloaded models) awaited at the top level, so that Lambda runs all
 * of it in the init phase, ahead of the first invocation when the function is initialized
 * before it is invoked (provisioned concurrency), and bounded by the init phase's limit.
 *
 * `npm start` and the tests import ./handler.ts, where the first invocation waits instead:
 * tsx and jest compile this package's .ts files to CommonJS, which has no top-level await.
 * Only esbuild, which bundles this file as ESM, sees it.
 */
import { handler, ready } from './handler';

await ready;

export { handler };
