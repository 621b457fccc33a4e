import { handle } from 'hono/aws-lambda';
import { loadConfig } from '../config';
import { createAdminApp } from './app';
import { createAdminDeps } from './deps';

/** Lambda entry point of the control plane. Built once per cold start. */
export const handler = handle(createAdminApp(createAdminDeps(loadConfig(process.env))));
