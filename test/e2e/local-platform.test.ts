import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InfergateApiError, InfergateClient } from '../../client';
import { fixtureModel } from '../support/fixtures';

const ROOT = path.join(__dirname, '..', '..');

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** Starts `local/main.ts` the way `npm start` does, on a free port, with its own state folder. */
async function startLocal(home: string): Promise<Started> {
  let output = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'local', 'main.ts'), '--port', '0'],
    {
      cwd: ROOT,
      env: { ...process.env, INFERGATE_HOME: home, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!/Infergate is running at/.test(output)) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not get ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output };
}

async function stopLocal(started: Started, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  if (started.child.exitCode !== null) return started.child.exitCode;
  const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
  started.child.kill(signal);
  return exited;
}

interface LocalJson {
  url: string;
  adminKey: string;
  demoKey: string;
  demoModel: string;
}

describe('npm start, end to end over HTTP', () => {
  let home: string;
  let started: Started | undefined;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'infergate-e2e-'));
  });

  afterAll(async () => {
    if (started !== undefined) await stopLocal(started, 'SIGKILL');
    await rm(home, { recursive: true, force: true });
  });

  it('seeds, serves the demo model, and runs the whole tenant lifecycle', async () => {
    started = await startLocal(home);
    const stateFile = path.join(home, 'local.json');
    const local = JSON.parse(await readFile(stateFile, 'utf8')) as LocalJson;
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    expect(started.output()).toContain(local.demoKey);
    expect(started.output()).toContain('curl');

    // The seeded demo model: a real pretrained classifier, callable with the demo key.
    const demo = new InfergateClient({ url: local.url, apiKey: local.demoKey });
    const metadata = await demo.modelMetadata(local.demoModel);
    expect(metadata.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }]);
    const demoResult = await demo.infer(local.demoModel, {
      inputs: [
        { name: 'x', shape: [1, 3, 48, 192], datatype: 'FP32', data: new Array(3 * 48 * 192).fill(0.5) },
      ],
    });
    const probabilities = demoResult.outputs[0]?.data as number[];
    expect(probabilities).toHaveLength(2);
    expect(probabilities[0] + probabilities[1]).toBeCloseTo(1, 4);

    // An operator creates a tenant and key, registers and publishes a model.
    const admin = new InfergateClient({ url: local.url, apiKey: local.adminKey });
    const tenant = await admin.createTenant({ name: 'e2e' });
    const key = await admin.createKey({ tenantId: tenant.tenantId });
    const version = await admin.registerModel('e2e-add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'private',
      ownerTenantId: tenant.tenantId,
    });
    await admin.setAlias('e2e-add-mul', 'prod', version.version);

    // The tenant infers and checks the numbers.
    const client = new InfergateClient({ url: local.url, apiKey: key.key });
    const result = await client.infer('e2e-add-mul', {
      inputs: [
        { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1.25, -2, 3] },
        { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 0.5, -1] },
      ],
    });
    expect(result.outputs).toEqual([
      { name: 'sum', datatype: 'FP32', shape: [1, 3], data: [5.25, -1.5, 2] },
      { name: 'product', datatype: 'FP32', shape: [1, 3], data: [5, -1, -3] },
    ]);

    // Its usage shows the request.
    const usage = await client.usage();
    expect(usage.totals.requests).toBe(1);
    expect(usage.rows[0]).toMatchObject({
      modelName: 'e2e-add-mul',
      version: version.version,
      requests: 1,
      errors: 0,
    });

    // Revoked: 401 at once.
    await admin.revokeKey(key.keyId);
    await expect(client.usage()).rejects.toMatchObject({ status: 401, code: 'key_revoked' });
    await expect(client.usage()).rejects.toBeInstanceOf(InfergateApiError);

    // Ctrl-C stops cleanly; a restart keeps tenants, keys, models and usage.
    expect(await stopLocal(started)).toBe(0);
    started = await startLocal(home);
    const restarted = JSON.parse(await readFile(stateFile, 'utf8')) as LocalJson;
    expect(restarted.adminKey).toBe(local.adminKey);
    const adminAgain = new InfergateClient({ url: restarted.url, apiKey: restarted.adminKey });
    expect((await adminAgain.listTenants()).tenants.map((t) => t.name)).toContain('e2e');
    const report = await adminAgain.adminUsage({ tenantId: tenant.tenantId });
    expect(report.totals.requests).toBe(1);
    expect(started.output()).not.toContain(restarted.demoKey);
  });
});
