import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { loadConfig } from '../config';
import { createInferenceApp } from './app';
import { createInferenceDeps } from './deps';

/**
 * Built once per cold start, during the init phase: clients, caches and the WASM runtime
 * are reused by every invocation of a warm function.
 */
const ready = createInferenceDeps(loadConfig(process.env)).then((deps) => handle(createInferenceApp(deps)));

/** Lambda entry point of the data plane. */
export async function handler(event: LambdaEvent, context: LambdaContext) {
  return (await ready)(event, context);
}
