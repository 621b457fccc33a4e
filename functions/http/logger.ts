import type { Logger } from '@aws-lambda-powertools/logger';

/** The logging the HTTP layer needs: Powertools' `Logger` (in tests too, with a captured output). */
export type AppLogger = Pick<Logger, 'info' | 'warn' | 'error'>;
