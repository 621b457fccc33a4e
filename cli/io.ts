/**
 * Everything the CLI touches outside itself, so that tests can run `buildProgram` with
 * captured output, a chosen environment and a temporary working directory.
 */
export interface CliIo {
  /** Writes to standard output (results). */
  readonly out: (text: string) => void;
  /** Writes to standard error (errors, help after a usage error). */
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory that `./.infergate/local.json` is resolved against. */
  readonly cwd: string;
  /** Where to draw progress bars; absent when standard error is not an interactive terminal. */
  readonly progressStream?: NodeJS.WritableStream;
  readonly now: () => Date;
}

/** The real process: its streams, environment and working directory. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
    now: () => new Date(),
  };
}
