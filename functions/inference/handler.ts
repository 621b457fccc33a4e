import { loadConfig } from '../config';
import { AfterResponse } from '../core/after-response';
import { toLambdaHandler } from '../http/lambda-adapter';
import { createInferenceApp } from './app';
import { createInferenceDeps } from './deps';

const config = loadConfig(process.env);

/**
 * Usage writes made after the response (`INFERGATE_METER_AFTER_RESPONSE`, on by default),
 * once whatever runs this handler drains them: the Lambda entry's extension (./lambda.ts),
 * `npm start`'s API Gateway emulator. Until one does, usage is written before the response.
 * Undefined when the configuration turns it off.
 */
export const afterResponse: AfterResponse | undefined =
  config.meterAfterResponse === true ? new AfterResponse() : undefined;

const app = createInferenceDeps(config, { afterResponse }).then(createInferenceApp);

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
