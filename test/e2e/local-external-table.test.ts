import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { InfergateClient } from '../../client';
import { startDynalite, type LocalDynamo } from '../support/dynalite';

const ROOT = path.join(__dirname, '..', '..');

/** Runs `local/main.ts` with the given arguments until it is ready (or exits), collecting its output. */
function startLocal(home: string, args: readonly string[]) {
  let output = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'local', 'main.ts'), '--port', '0', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, INFERGATE_HOME: home, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = (async () => {
    const deadline = Date.now() + 30_000;
    while (!/Infergate is running at/.test(output)) {
      if (child.exitCode !== null) return false;
      if (Date.now() > deadline) throw new Error(`npm start did not get ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  })();
  return { child, exited, ready, output: () => output };
}

describe('npm start -- --dynamodb-endpoint: a table in another process', () => {
  let dynamo: LocalDynamo;
  let home: string;

  beforeAll(async () => {
    dynamo = await startDynalite();
    home = await mkdtemp(path.join(tmpdir(), 'infergate-external-table-'));
  });

  afterAll(async () => {
    await dynamo.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('keeps the registry and the usage in that table, not in an embedded one', async () => {
    const local = startLocal(home, ['--dynamodb-endpoint', dynamo.endpoint]);
    try {
      expect(await local.ready).toBe(true);
      const state = JSON.parse(await readFile(path.join(home, 'local.json'), 'utf8')) as {
        url: string;
        demoKey: string;
        demoModel: string;
      };
      const client = new InfergateClient({ url: state.url, apiKey: state.demoKey });
      const metadata = await client.modelMetadata(state.demoModel);
      expect(metadata.name).toBe(state.demoModel);
      // The platform created its table (`infergate`) in the server it was given, and seeded it.
      const items = await dynamo.client.send(new ScanCommand({ TableName: 'infergate', Select: 'COUNT' }));
      expect(items.Count ?? 0).toBeGreaterThan(0);
    } finally {
      local.child.kill('SIGINT');
      expect(await local.exited).toBe(0);
    }
  }, 90_000);

  it('refuses an endpoint that is not an http(s) URL, naming the option', async () => {
    const local = startLocal(home, ['--dynamodb-endpoint', 'ftp://example']);
    expect(await local.ready).toBe(false);
    expect(await local.exited).not.toBe(0);
    expect(local.output()).toMatch(/--dynamodb-endpoint.*http\(s\) URL/);
  }, 30_000);
});
