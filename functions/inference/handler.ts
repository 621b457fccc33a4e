import { loadConfig } from '../config';
import { toLambdaHandler } from '../http/lambda-adapter';
import { createInferenceApp } from './app';
import { createInferenceDeps } from './deps';

const app = createInferenceDeps(loadConfig(process.env)).then(createInferenceApp);

/**
 * Settles once the cold-start work is done: clients, caches, the WASM runtime and the
 * preloaded `prod` models (bounded by `INFERGATE_PRELOAD_BYTES` and
 * `INFERGATE_PRELOAD_TIMEOUT_MS`). The Lambda entry (./lambda.ts) awaits it during the init
 * phase; elsewhere the first invocation does.
 */
export const ready: Promise<unknown> = app;

/**
 * The data plane's handler, built once per cold start: clients, caches, the WASM runtime and
 * the loaded models are reused by every invocation of a warm function.
 */
export const handler = toLambdaHandler(app);
