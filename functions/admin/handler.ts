import { loadConfig } from '../config';
import { toLambdaHandler } from '../http/lambda-adapter';
import { createAdminApp } from './app';
import { createAdminDeps } from './deps';

/** Lambda entry point of the control plane. Built once per cold start. */
export const handler = toLambdaHandler(createAdminApp(createAdminDeps(loadConfig(process.env))));
