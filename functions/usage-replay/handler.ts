import { loadConfig } from '../config';
import { createUsageReplayDeps } from './deps';
import { createUsageReplayHandler } from './replay';

/**
 * Lambda entry point of the usage replay, invoked every minute by an EventBridge rule:
 * applies spilled usage writes to the counters, exactly once, and removes them from the
 * spill. Clients are made once per cold start.
 */
export const handler = createUsageReplayHandler(createUsageReplayDeps(loadConfig(process.env)));
