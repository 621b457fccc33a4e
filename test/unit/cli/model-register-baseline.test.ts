import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/main';
import type { CliIo } from '../../../cli/io';
import type { ModelVersion } from '../../../functions/core/registry/types';
import { jsonBody, startRecordingServer, type RecordingServer } from '../client/recording-server';

const ADMIN_KEY = 'igk_0123456789abcdef_adminadminadminadminadminadminadminadmin01';

/**
 * `infergate model register --baseline <version>` sends the baseline with the version and
 * prints what registration checked and the agreement; `model show` shows the agreement.
 */
describe('infergate model register --baseline and model show', () => {
  let server: RecordingServer;
  let cwd: string;
  let out: string;
  let err: string;
  const io = (): CliIo => ({
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    env: {},
    cwd,
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  });
  const original: ModelVersion = {
    modelName: 'digits',
    version: '1',
    tier: 'lambda',
    artifact: { sha256: 'ab'.repeat(32), size: 204554, key: 'artifacts/sha256/ab.onnx' },
    inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 64] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
    createdAt: '2026-01-01T00:00:00.000Z',
    validation: { runtime: 'onnxruntime-web 1.30.0 (wasm)', sample: [{ name: 'pixels', shape: [1, 64] }] },
  };
  const quantized: ModelVersion = {
    ...original,
    version: '2',
    artifact: { sha256: 'cd'.repeat(32), size: 57222, key: 'artifacts/sha256/cd.onnx' },
    agreement: {
      baselineVersion: '1',
      samples: 32,
      seed: 42,
      outputs: [
        {
          output: 'probabilities',
          maxAbsDiff: 0.011875,
          nonFiniteMismatches: 0,
          topOneAgreement: 0.96875,
          rows: 32,
        },
      ],
    },
  };

  beforeEach(async () => {
    out = '';
    err = '';
    cwd = await mkdtemp(join(tmpdir(), 'infergate-baseline-'));
    await writeFile(join(cwd, 'model.onnx'), Buffer.alloc(1024, 1));
    server = await startRecordingServer((request, baseUrl) => {
      if (request.url === '/admin/models' && request.method === 'POST') return { status: 201, body: {} };
      if (request.url === '/admin/models/digits') {
        return {
          body: {
            model: { name: 'digits', visibility: 'public', createdAt: '', latestVersion: 2 },
            versions: [original, quantized],
            aliases: [],
          },
        };
      }
      if (request.url === '/admin/uploads') {
        return {
          status: 201,
          body: { uploadId: 'a1b2c3d4e5f6a7b8', url: `${baseUrl}/put`, method: 'PUT', expiresAt: '' },
        };
      }
      if (request.method === 'PUT') return { body: '' };
      return { status: 201, body: quantized };
    });
  });

  afterEach(async () => {
    await server.close();
    await rm(cwd, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli([...args, '--url', server.url, '--admin-key', ADMIN_KEY], io());

  it('sends the baseline with the version and prints the check and the agreement', async () => {
    const code = await cli(
      'model',
      'register',
      'digits',
      join(cwd, 'model.onnx'),
      '--public',
      '--baseline',
      '1',
    );

    expect([code, err]).toEqual([0, '']);
    const create = server.requests.find((request) => request.url === '/admin/models/digits/versions');
    expect(jsonBody(create)).toEqual({ uploadId: 'a1b2c3d4e5f6a7b8', tier: 'lambda', baseline: '1' });
    expect(out).toContain('checked: on onnxruntime-web 1.30.0 (wasm), sample pixels [1, 64]');
    expect(out).toContain(
      'agreement: vs 1: probabilities top-1 96.88% of 32 rows, max |diff| 0.012 (32 generated inputs)',
    );
  });

  it('sends no baseline unless asked, and refuses one that is not a version number', async () => {
    await cli('model', 'register', 'digits', join(cwd, 'model.onnx'), '--public');
    const create = server.requests.find((request) => request.url === '/admin/models/digits/versions');
    const refused = await cli(
      'model',
      'register',
      'digits',
      join(cwd, 'model.onnx'),
      '--public',
      '--baseline',
      'prod',
    );

    expect(jsonBody(create)).toEqual({ uploadId: 'a1b2c3d4e5f6a7b8', tier: 'lambda' });
    expect(refused).not.toBe(0);
    expect(err).toMatch(/expected a version number/);
  });

  it('shows the agreement of each version in model show', async () => {
    const code = await cli('model', 'show', 'digits');

    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines.find((line) => line.startsWith('VERSION'))).toMatch(/CREATED +AGREEMENT$/);
    expect(lines.find((line) => line.startsWith('1 '))).toMatch(/ -$/);
    expect(lines.find((line) => line.startsWith('2 '))).toMatch(
      /vs 1: probabilities top-1 96\.88% of 32 rows, max \|diff\| 0\.012$/,
    );
  });
});
