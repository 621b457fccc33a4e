import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InfergateClient } from '../client';

/** A local platform started as `npm start` runs it, in its own process and state folder. */
export interface RunningPlatform {
  readonly url: string;
  readonly adminKey: string;
  readonly demoKey: string;
  readonly demoModel: string;
  readonly pid: number;
  /** Milliseconds from spawning the process to the ready line. */
  readonly readyMs: number;
  stop(): Promise<void>;
}

const ROOT = path.join(__dirname, '..');

/**
 * The plan the demo tenant is moved to: `enterprise` (limits so high that only the limiter's
 * write shows), or `no-limits`, a plan without quota or rate limit created for the bench
 * (no limiter write: usage is the request's only write).
 */
export type BenchPlan = 'enterprise' | 'no-limits';

/**
 * Where the platform's table runs: `embedded` in the platform's process, as `npm start` runs
 * it, or in a `separate` process (bench/children/table-server.ts), as DynamoDB is another
 * service on AWS whose work does not take the function's CPU.
 */
export type BenchTable = 'embedded' | 'separate';

/** Starts `local/main.ts` on a free port; `env` is added to this process's environment. */
export async function startPlatformProcess(
  env: Readonly<Record<string, string>> = {},
  plan: BenchPlan = 'enterprise',
  table: BenchTable = 'embedded',
): Promise<RunningPlatform> {
  const home = await mkdtemp(path.join(tmpdir(), 'infergate-bench-'));
  const tableServer = table === 'separate' ? await startTableServer() : undefined;
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // Node options for the platform process, e.g. `--cpu-prof --cpu-prof-dir=<dir>` to profile it.
      ...(process.env.BENCH_PLATFORM_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== ''),
      '--import',
      'tsx',
      path.join(ROOT, 'local', 'main.ts'),
      '--port',
      '0',
      ...(tableServer === undefined ? [] : ['--dynamodb-endpoint', tableServer.endpoint]),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, INFERGATE_HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    await tableServer?.stop();
    await rm(home, { recursive: true, force: true });
  };
  let readyMs: number;
  let state: Omit<RunningPlatform, 'stop' | 'pid' | 'readyMs'>;
  try {
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Infergate is running at')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the platform exited with ${code}:\n${output}`)));
    });
    readyMs = performance.now() - started;
    state = JSON.parse(await readFile(path.join(home, 'local.json'), 'utf8')) as Omit<
      RunningPlatform,
      'stop' | 'pid' | 'readyMs'
    >;
    // The demo tenant is seeded on `pro` (50 requests per second): the load phases would
    // measure its rate limit, not the platform. On `enterprise` the one write that admits and meters a request stays before the response.
    const admin = new InfergateClient({ url: state.url, apiKey: state.adminKey });
    const demo = (await admin.listTenants()).tenants.find((tenant) => tenant.name === 'demo');
    if (demo === undefined) throw new Error('the local platform seeded no "demo" tenant');
    if (plan === 'no-limits') {
      const free = { perThousandRequests: '0', perComputeSecond: '0' };
      await admin.createPlan({ planId: 'no-limits', prices: { tiers: { lambda: free, sagemaker: free } } });
    }
    await admin.setTenantPlan(demo.tenantId, plan);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ...state,
    pid: child.pid ?? -1,
    readyMs,
    stop,
  };
}

/** bench/children/table-server.ts: dynalite in a process of its own. */
async function startTableServer(): Promise<{ readonly endpoint: string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bench', 'children', 'table-server.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\S+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the table server exited with ${code}:\n${output}`)));
  });
  return {
    endpoint,
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}
