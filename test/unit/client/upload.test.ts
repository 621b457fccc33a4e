import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfergateApiError, InfergateClient, type UploadProgress } from '../../../client';
import {
  jsonBody,
  startRecordingServer,
  type RecordedRequest,
  type RecordingServer,
  type Reply,
} from './recording-server';

const KEY = 'igk_0123456789abcdef_secretsecretsecretsecretsecretsecretsecret1';
const UPLOAD_ID = 'a1b2c3d4e5f6a7b8c9d0';
const PRESIGNED_PATH = `/store/uploads/${UPLOAD_ID}?X-Amz-Signature=deadbeef&X-Amz-Expires=900`;

const VERSION = {
  modelName: 'iris',
  version: '1',
  tier: 'lambda',
  artifact: { sha256: 'ab'.repeat(32), size: 4, key: `artifacts/sha256/${'ab'.repeat(32)}.onnx` },
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'label', datatype: 'INT64', shape: [-1] }],
  createdAt: '2026-01-01T00:00:00.000Z',
};
const MODEL = { name: 'iris', visibility: 'public', createdAt: '2026-01-01T00:00:00.000Z', latestVersion: 0 };

/** Answers the upload ticket with a URL on the same server, and accepts the PUT. */
function uploadFlow(extra: (request: RecordedRequest) => Reply | undefined = () => undefined) {
  return (request: RecordedRequest, baseUrl: string): Reply => {
    const special = extra(request);
    if (special !== undefined) return special;
    if (request.method === 'POST' && request.url === '/admin/uploads') {
      const expiresAt = '2026-01-01T00:15:00.000Z';
      return {
        status: 201,
        body: { uploadId: UPLOAD_ID, url: `${baseUrl}${PRESIGNED_PATH}`, method: 'PUT', expiresAt },
      };
    }
    if (request.method === 'PUT') return { status: 200, body: '' };
    return {
      status: 500,
      body: { error: `unexpected ${request.method} ${request.url}`, code: 'test_unexpected' },
    };
  };
}

describe('InfergateClient uploads', () => {
  let server: RecordingServer | undefined;
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infergate-upload-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  describe('uploadArtifact', () => {
    it('streams a file to the presigned URL without the API key, reporting progress', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const file = join(dir, 'model.onnx');
      await writeFile(file, bytes);
      server = await startRecordingServer(uploadFlow());
      const client = new InfergateClient({ url: server.url, apiKey: KEY });
      const progress: UploadProgress[] = [];

      const uploadId = await client.uploadArtifact(file, (p) => progress.push(p));

      expect(uploadId).toBe(UPLOAD_ID);
      const [ticket, put] = server.requests;
      expect(jsonBody(ticket)).toEqual({ size: bytes.length });
      expect(ticket?.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(put?.method).toBe('PUT');
      expect(put?.url).toBe(PRESIGNED_PATH);
      expect(put?.headers.authorization).toBeUndefined();
      expect(put?.headers['content-length']).toBe(String(bytes.length));
      expect(put?.headers['transfer-encoding']).toBeUndefined();
      expect(put?.body.equals(bytes)).toBe(true);
      expect(progress[0]).toEqual({ sentBytes: 0, totalBytes: bytes.length });
      expect(progress.at(-1)).toEqual({ sentBytes: bytes.length, totalBytes: bytes.length });
      expect(progress.length).toBeGreaterThan(10);
      const sent = progress.map((p) => p.sentBytes);
      expect(sent).toEqual([...sent].sort((a, b) => a - b));
    });

    it('uploads bytes from memory in chunks', async () => {
      const bytes = randomBytes(200 * 1024);
      server = await startRecordingServer(uploadFlow());
      const client = new InfergateClient({ url: server.url, apiKey: KEY });
      const progress: UploadProgress[] = [];

      await client.uploadArtifact(bytes, (p) => progress.push(p));

      expect(server.requests[1]?.body.equals(bytes)).toBe(true);
      expect(progress.map((p) => p.sentBytes)).toEqual([0, 65536, 131072, 196608, 204800]);
    });

    it("reports the store's XML error", async () => {
      const xml =
        '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code>' +
        '<Message>The request signature we calculated does not match</Message><RequestId>S3REQ</RequestId></Error>';
      server = await startRecordingServer(
        uploadFlow((request) => (request.method === 'PUT' ? { status: 403, body: xml } : undefined)),
      );
      const client = new InfergateClient({ url: server.url, apiKey: KEY });

      const error: unknown = await client.uploadArtifact(Buffer.from('onnx')).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InfergateApiError);
      expect(error).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch', requestId: 'S3REQ' });
    });

    it('fails before any request when the file is missing', async () => {
      server = await startRecordingServer(uploadFlow());
      const client = new InfergateClient({ url: server.url, apiKey: KEY });

      await expect(client.uploadArtifact(join(dir, 'missing.onnx'))).rejects.toMatchObject({
        code: 'file_not_found',
      });
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('registerModel', () => {
    it('creates the model, uploads and creates the version', async () => {
      server = await startRecordingServer(
        uploadFlow((request) => {
          if (request.url === '/admin/models') return { status: 201, body: MODEL };
          if (request.url === '/admin/models/iris/versions') return { status: 201, body: VERSION };
          return undefined;
        }),
      );
      const client = new InfergateClient({ url: server.url, apiKey: KEY });

      const version = await client.registerModel('iris', Buffer.from('onnx'), {
        visibility: 'public',
        tier: 'lambda',
      });

      expect(version).toEqual(VERSION);
      expect(server.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
        'POST /admin/models',
        'POST /admin/uploads',
        `PUT /store/uploads/${UPLOAD_ID}`,
        'POST /admin/models/iris/versions',
      ]);
      expect(jsonBody(server.requests[0])).toEqual({ name: 'iris', visibility: 'public' });
      expect(jsonBody(server.requests[3])).toEqual({ uploadId: UPLOAD_ID, tier: 'lambda' });
    });

    it('accepts an existing model with the same visibility and owner', async () => {
      const owned = { ...MODEL, visibility: 'private', ownerTenantId: 't_acme' };
      server = await startRecordingServer(
        uploadFlow((request) => {
          if (request.url === '/admin/models')
            return { status: 409, body: { error: 'exists', code: 'model_exists' } };
          if (request.url === '/admin/models/iris' && request.method === 'GET') {
            return { body: { model: owned, versions: [], aliases: [] } };
          }
          if (request.url === '/admin/models/iris/versions') return { status: 201, body: VERSION };
          return undefined;
        }),
      );
      const client = new InfergateClient({ url: server.url, apiKey: KEY });

      const version = await client.registerModel('iris', Buffer.from('onnx'), {
        visibility: 'private',
        ownerTenantId: 't_acme',
      });

      expect(version.version).toBe('1');
      expect(jsonBody(server.requests.at(-1))).toEqual({ uploadId: UPLOAD_ID, tier: 'lambda' });
    });

    it('refuses an existing model owned by someone else, before uploading', async () => {
      const owned = { ...MODEL, visibility: 'private', ownerTenantId: 't_other' };
      server = await startRecordingServer(
        uploadFlow((request) => {
          if (request.url === '/admin/models')
            return { status: 409, body: { error: 'exists', code: 'model_exists' } };
          if (request.url === '/admin/models/iris')
            return { body: { model: owned, versions: [], aliases: [] } };
          return undefined;
        }),
      );
      const client = new InfergateClient({ url: server.url, apiKey: KEY });

      await expect(
        client.registerModel('iris', Buffer.from('onnx'), { visibility: 'private', ownerTenantId: 't_acme' }),
      ).rejects.toMatchObject({
        status: 409,
        code: 'model_exists',
        message: expect.stringContaining('t_other'),
      });
      expect(server.requests.some((r) => r.url === '/admin/uploads')).toBe(false);
    });
  });
});
