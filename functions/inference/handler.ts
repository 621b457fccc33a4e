import { loadConfig } from '../config';
import { toLambdaHandler } from '../http/lambda-adapter';
import { createInferenceApp } from './app';
import { createInferenceDeps } from './deps';

/**
 * Lambda entry point of the data plane. Built once per cold start, during the init phase:
 * clients, caches and the WASM runtime are reused by every invocation of a warm function.
 */
export const handler = toLambdaHandler(createInferenceDeps(loadConfig(process.env)).then(createInferenceApp));
