import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** What `local/main.ts` keeps in `<home>/local.json`. */
export interface LocalPlatformState {
  readonly url: string;
  readonly adminKey: string;
  readonly demoKey: string;
  readonly demoModel: string;
}

/** `local/main.ts` running in a child process, as `npm start` runs it. */
export interface LocalProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly state: LocalPlatformState;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process has exited (at once if it has). */
  exited(): Promise<void>;
  /** Sends `signal` and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `local/main.ts` on a free port (`--port 0`) with its state in `home`, and waits for
 * its ready line. `env` is added to the environment (for example `POWERTOOLS_LOG_LEVEL`).
 *
 * @example
 * const local = await startLocalProcess(home);
 * const admin = new InfergateClient({ url: local.state.url, apiKey: local.state.adminKey });
 * await local.stop('SIGKILL');
 */
export async function startLocalProcess(
  home: string,
  env: Readonly<Record<string, string>> = {},
  readyTimeoutMs = 60_000,
): Promise<LocalProcess> {
  let output = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'local', 'main.ts'), '--port', '0'],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, INFERGATE_HOME: home, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + readyTimeoutMs;
  while (!/Infergate is running at/.test(output)) {
    if (child.exitCode !== null) throw new Error(`local/main.ts exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`local/main.ts did not get ready in ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const state = JSON.parse(await readFile(path.join(home, 'local.json'), 'utf8')) as LocalPlatformState;
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid ?? -1,
    state,
    output: () => output,
    exited: () => exit,
    async stop(signal = 'SIGINT') {
      if (running()) child.kill(signal);
      await exit;
    },
  };
}

/**
 * Resident memory of a process in bytes (`VmRSS` in `/proc/<pid>/status`; Linux only).
 */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
