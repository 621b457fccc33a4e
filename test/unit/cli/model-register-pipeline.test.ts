import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/main';
import type { CliIo } from '../../../cli/io';
import { pipelineSchema } from '../../../functions/api/schemas';
import { textDirectionPipeline } from '../../../models/pretrained-pipelines';
import { jsonBody, startRecordingServer, type RecordingServer } from '../client/recording-server';

const ADMIN_KEY = 'igk_0123456789abcdef_adminadminadminadminadminadminadminadmin01';

/** `infergate model register --pipeline <file.json>`: read, checked, sent with the version. */
describe('infergate model register --pipeline', () => {
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
  const version = {
    modelName: 'text-direction',
    version: '1',
    tier: 'lambda',
    artifact: { sha256: 'ab'.repeat(32), size: 1024, key: 'artifacts/sha256/x.onnx' },
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 48, 192] }],
    outputs: [{ name: 'probs', datatype: 'FP32', shape: [-1, 2] }],
    createdAt: '2026-01-01T00:00:00.000Z',
    pipeline: pipelineSchema.parse(textDirectionPipeline()),
  };

  beforeEach(async () => {
    out = '';
    err = '';
    cwd = await mkdtemp(join(tmpdir(), 'infergate-pipeline-'));
    await writeFile(join(cwd, 'model.onnx'), Buffer.alloc(1024, 1));
    server = await startRecordingServer((request, baseUrl) => {
      if (request.url === '/admin/models') return { status: 201, body: {} };
      if (request.url === '/admin/uploads') {
        return {
          status: 201,
          body: { uploadId: 'a1b2c3d4e5f6a7b8', url: `${baseUrl}/put`, method: 'PUT', expiresAt: '' },
        };
      }
      if (request.method === 'PUT') return { body: '' };
      return { status: 201, body: version };
    });
  });

  afterEach(async () => {
    await server.close();
    await rm(cwd, { recursive: true, force: true });
  });

  const register = (pipelineFile: string) =>
    runCli(
      [
        'model',
        'register',
        'text-direction',
        join(cwd, 'model.onnx'),
        '--public',
        '--pipeline',
        pipelineFile,
        '--url',
        server.url,
        '--admin-key',
        ADMIN_KEY,
      ],
      io(),
    );

  it('sends the pipeline with the version and describes it', async () => {
    await writeFile(join(cwd, 'pipeline.json'), JSON.stringify(textDirectionPipeline()));

    const code = await register('pipeline.json');

    expect(code).toBe(0);
    const created = server.requests.find((r) => r.url === '/admin/models/text-direction/versions');
    expect(jsonBody(created)).toMatchObject({ tier: 'lambda', pipeline: textDirectionPipeline() });
    expect(out).toContain(
      'pipeline: png/jpeg/webp image (height 48, width up to 192, NCHW RGB) -> top-2 of 2 labels',
    );
  });

  it.each([
    ['a file that does not exist', 'missing.json', undefined, /cannot read the pipeline file missing\.json/],
    ['a file that is not JSON', 'bad.json', '{"input": ', /the pipeline file bad\.json is not JSON/],
    [
      'a pipeline without an output',
      'partial.json',
      JSON.stringify({ input: textDirectionPipeline().input }),
      /the pipeline in partial\.json is invalid: output: /,
    ],
    [
      'a resize mode that does not exist',
      'mode.json',
      JSON.stringify({
        ...textDirectionPipeline(),
        input: { ...textDirectionPipeline().input, resize: { mode: 'crop' } },
      }),
      /input\.resize\.mode/,
    ],
  ])('refuses %s before calling the platform (exit 2)', async (_name, file, content, message) => {
    if (content !== undefined) await writeFile(join(cwd, file), content);

    const code = await register(file);

    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });
});
