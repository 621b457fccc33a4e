import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../cli/main';
import type { CliIo } from '../../../cli/io';
import { jsonBody, startRecordingServer, type RecordingServer, type Reply } from '../client/recording-server';

const ADMIN_KEY = 'igk_0123456789abcdef_adminadminadminadminadminadminadminadmin01';
const NOW = new Date('2026-01-01T00:00:00.000Z');
const TENANTS = {
  tenants: [
    { tenantId: 't_acme', name: 'Acme', plan: 'free', createdAt: '2026-01-01T00:00:00.000Z' },
    { tenantId: 't_globex', name: 'Globex Corporation', plan: 'pro', createdAt: '2026-01-02T00:00:00.000Z' },
  ],
};

interface Captured {
  readonly io: CliIo;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

function capture(
  cwd: string,
  env: Record<string, string> = {},
  progressStream?: NodeJS.WritableStream,
): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      env,
      cwd,
      progressStream,
      now: () => NOW,
    },
    stdout: () => out,
    stderr: () => err,
  };
}

describe('infergate CLI', () => {
  let server: RecordingServer | undefined;
  let cwd = '';
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'infergate-cli-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(cwd, { recursive: true, force: true });
  });

  async function platform(reply: (method: string, path: string) => Reply): Promise<string[]> {
    server = await startRecordingServer((request) => reply(request.method, request.url));
    return ['--url', server.url, '--admin-key', ADMIN_KEY];
  }

  describe('output', () => {
    it('prints exactly the response as one JSON document with --json', async () => {
      const target = await platform(() => ({ body: TENANTS }));
      const cli = capture(cwd);

      const code = await runCli(['tenant', 'list', '--json', ...target], cli.io);

      expect(code).toBe(0);
      expect(JSON.parse(cli.stdout())).toEqual(TENANTS);
      expect(cli.stderr()).toBe('');
      expect(server?.requests[0]?.headers.authorization).toBe(`Bearer ${ADMIN_KEY}`);
    });

    it('prints an aligned table without --json', async () => {
      const target = await platform(() => ({ body: TENANTS }));
      const cli = capture(cwd);

      await runCli([...target, 'tenant', 'list'], cli.io);

      expect(cli.stdout().split('\n')).toEqual([
        'TENANT ID  NAME                PLAN  CREATED',
        't_acme     Acme                free  2026-01-01T00:00:00.000Z',
        't_globex   Globex Corporation  pro   2026-01-02T00:00:00.000Z',
        '',
      ]);
    });

    it('finds the local platform through local.json', async () => {
      const target = await platform(() => ({ body: { tenants: [] } }));
      const home = join(cwd, 'state');
      await mkdir(home);
      await writeFile(join(home, 'local.json'), JSON.stringify({ url: target[1], adminKey: 'local-key' }));
      const cli = capture(cwd, { INFERGATE_HOME: home });

      const code = await runCli(['tenant', 'list'], cli.io);

      expect(code).toBe(0);
      expect(cli.stdout()).toBe('no tenants\n');
      expect(server?.requests[0]?.headers.authorization).toBe('Bearer local-key');
    });
  });

  describe('options', () => {
    it('turns --expires and --scopes into the request body', async () => {
      const created = {
        key: 'igk_fedcba9876543210_x',
        keyId: 'fedcba9876543210',
        tenantId: 't_acme',
        scopes: ['infer'],
        createdAt: NOW.toISOString(),
        expiresAt: '2026-01-31T00:00:00.000Z',
      };
      const target = await platform(() => ({ status: 201, body: created }));
      const cli = capture(cwd);

      const code = await runCli(
        ['key', 'create', '--tenant', 't_acme', '--scopes', 'infer', '--expires', '30d', ...target],
        cli.io,
      );

      expect(code).toBe(0);
      expect(jsonBody(server?.requests[0])).toEqual({
        tenantId: 't_acme',
        scopes: ['infer'],
        expiresAt: '2026-01-31T00:00:00.000Z',
      });
      expect(cli.stdout()).toContain('igk_fedcba9876543210_x');
    });

    it.each([
      [['key', 'create', '--tenant', 't_acme', '--scopes', 'infer,write']],
      [['key', 'create', '--tenant', 't_acme', '--expires', 'soon']],
      [['key', 'create', '--scopes', 'infer']],
      [['key', 'revoke', 'igk_0123456789abcdef_secret']],
      [['model', 'register', 'iris', 'missing.onnx']],
      [['model', 'register', 'iris', 'missing.onnx', '--public']],
      [['model', 'register', 'iris', 'model.onnx', '--public', '--tier', 'gpu']],
      [['model', 'register', 'iris', 'missing.onnx', '--public', '--tenant', 't_acme']],
      [['model', 'publish', 'Iris!', '1']],
      [['usage', 'show', '--month', '2026-1']],
      [['tenant', 'frobnicate']],
    ])('exits 2 without calling the platform for %j', async (args) => {
      const target = await platform(() => ({ body: {} }));
      const cli = capture(cwd);

      const code = await runCli([...args, ...target], cli.io);

      expect(code).toBe(2);
      expect(cli.stderr()).toMatch(/^error: /);
      expect(cli.stdout()).toBe('');
      expect(server?.requests).toHaveLength(0);
    });

    it('exits 0 for --help', async () => {
      const cli = capture(cwd);

      await expect(runCli(['model', 'register', '--help'], cli.io)).resolves.toBe(0);
      expect(cli.stdout()).toContain('--tier <tier>');
      expect(cli.stdout()).toContain('--admin-key <key>');
    });
  });

  describe('errors', () => {
    it('prints the API error with its code and request id, and exits 1', async () => {
      const target = await platform(() => ({
        status: 404,
        body: { error: 'model iris not found', code: 'model_not_found', requestId: 'req-9' },
      }));
      const cli = capture(cwd);

      const code = await runCli(['model', 'show', 'iris', ...target], cli.io);

      expect(code).toBe(1);
      expect(cli.stderr()).toBe('error: model iris not found (model_not_found)\nrequest id: req-9\n');
      expect(cli.stdout()).toBe('');
    });

    it('explains how to find a platform when none is configured', async () => {
      const cli = capture(cwd);

      const code = await runCli(['model', 'list'], cli.io);

      expect(code).toBe(1);
      expect(cli.stderr()).toMatch(
        /^error: no platform to talk to: run `npm start`.*--url.*\(no_target\)\n$/,
      );
    });
  });

  describe('model register', () => {
    const version = {
      modelName: 'iris',
      version: '2',
      tier: 'lambda',
      artifact: { sha256: 'ab'.repeat(32), size: 2_097_152, key: 'artifacts/sha256/x.onnx' },
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }],
      createdAt: NOW.toISOString(),
    };

    async function registerPlatform(): Promise<string[]> {
      server = await startRecordingServer((request, baseUrl): Reply => {
        if (request.url === '/admin/models') return { status: 201, body: {} };
        if (request.url === '/admin/uploads') {
          const ticket = {
            uploadId: 'a1b2c3d4e5f6a7b8',
            url: `${baseUrl}/put?sig=1`,
            method: 'PUT',
            expiresAt: '',
          };
          return { status: 201, body: ticket };
        }
        if (request.method === 'PUT') return { body: '' };
        return { status: 201, body: version };
      });
      return ['--url', server.url, '--admin-key', ADMIN_KEY];
    }

    it('uploads quietly when stderr is not a terminal and prints the version', async () => {
      const target = await registerPlatform();
      const file = join(cwd, 'iris.onnx');
      await writeFile(file, Buffer.alloc(2 * 1024 * 1024, 1));
      const cli = capture(cwd);

      const code = await runCli(['model', 'register', 'iris', file, '--public', '--json', ...target], cli.io);

      expect(code).toBe(0);
      expect(cli.stderr()).toBe('');
      expect(JSON.parse(cli.stdout())).toEqual(version);
      expect(server?.requests.find((r) => r.method === 'PUT')?.headers.authorization).toBeUndefined();
    });

    it('draws a progress bar on a terminal for files over 1 MB', async () => {
      const target = await registerPlatform();
      const file = join(cwd, 'iris.onnx');
      await writeFile(file, Buffer.alloc(2 * 1024 * 1024, 1));
      const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
      let drawn = '';
      terminal.on('data', (chunk: Buffer) => {
        drawn += chunk.toString('utf8');
      });
      const cli = capture(cwd, {}, terminal);

      const code = await runCli(['model', 'register', 'iris', file, '--tenant', 't_acme', ...target], cli.io);

      expect(code).toBe(0);
      expect(drawn).toContain('uploading [');
      expect(drawn).toContain('100%');
      expect(cli.stdout()).toContain('registered iris version 2 (tier lambda, 2.0 MB');
      expect(jsonBody(server?.requests[0])).toEqual({
        name: 'iris',
        visibility: 'private',
        ownerTenantId: 't_acme',
      });
    });
  });
});
