import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ROOT = path.join(__dirname, '..');

/** Runs a process to its end and returns its stdout; fails with its stderr. */
export async function runProcess(
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr =
      typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr) : '';
    throw new Error(`${args.join(' ')} failed: ${stderr}`, { cause: error });
  }
}

/** The last line of a child's stdout that is a JSON object. */
export function lastJsonLine(stdout: string): unknown {
  const line = stdout
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith('{'));
  if (line === undefined) throw new Error(`no JSON line in:\n${stdout}`);
  return JSON.parse(line);
}
