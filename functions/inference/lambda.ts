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
import { startAfterResponseExtension } from '../adapters/lambda/after-response-extension';
import { afterResponse, handler as inferenceHandler, ready } from './handler';

// Internal extensions register in the init phase: usage is then written after each response.
const extension = await startAfterResponseExtension({ afterResponse });
await ready;

export const handler = extension.wrap(inferenceHandler);
