import { CommanderError } from 'commander';
import { InfergateApiError, InfergateClientError } from '../client';
import type { CliIo } from './io';

/** A failure the CLI reports as `error: <message> (<code>)` with exit status 1. */
export class CliError extends Error {
  public readonly code: string;

  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
  }
}

/** The command line itself is wrong: reported as `error: <message>` with exit status 2. */
export class UsageError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Prints an error the way the CLI always does (one line, never a stack trace) and returns
 * the exit status: 0 after `--help`/`--version`, 2 for usage errors, 1 otherwise.
 */
export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof InfergateClientError || error instanceof CliError) {
    io.err(`error: ${error.message} (${error.code})\n`);
    if (error instanceof InfergateApiError && error.requestId !== undefined) {
      io.err(`request id: ${error.requestId}\n`);
    }
    return EXIT_FAILURE;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(`error: ${message} (unexpected_error)\n`);
  return EXIT_FAILURE;
}
