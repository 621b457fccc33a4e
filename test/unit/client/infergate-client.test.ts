import {
  InfergateApiError,
  InfergateClient,
  InfergateClientError,
  InfergateNetworkError,
} from '../../../client';
import {
  jsonBody,
  startRecordingServer,
  unusedPort,
  type RecordingServer,
  type Reply,
} from './recording-server';

const KEY = 'igk_0123456789abcdef_secretsecretsecretsecretsecretsecretsecret1';
const TENANT = { tenantId: 't_acme', name: 'Acme', plan: 'free', createdAt: '2026-01-01T00:00:00.000Z' };

describe('InfergateClient', () => {
  let server: RecordingServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function clientAnswering(
    reply: (path: string) => Reply,
    timeoutMs?: number,
  ): Promise<InfergateClient> {
    server = await startRecordingServer((request) => reply(request.url));
    return new InfergateClient({ url: `${server.url}/`, apiKey: KEY, timeoutMs });
  }

  describe('requests', () => {
    it('sends the key as a bearer token and the body as JSON', async () => {
      const client = await clientAnswering(() => ({ status: 201, body: TENANT }));

      const tenant = await client.createTenant({ name: 'Acme', plan: 'free' });

      expect(tenant).toEqual(TENANT);
      const [request] = server?.requests ?? [];
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe('/admin/tenants');
      expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(request?.headers['content-type']).toBe('application/json');
      expect(jsonBody(request)).toEqual({ name: 'Acme', plan: 'free' });
    });

    it('encodes path segments and sends only the query parameters that are set', async () => {
      const client = await clientAnswering(() => ({ body: {} }));

      await client.listKeys('t 1/2');
      await client.adminUsage({ month: '2026-02' });
      await client.modelMetadata('iris', '3');
      await client.infer('iris', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] });
      await client.setAlias('iris', 'prod', '3');
      await client.revokeKey('0123456789abcdef');

      const seen = server?.requests.map((r) => `${r.method} ${r.url}`);
      expect(seen).toEqual([
        'GET /admin/keys?tenantId=t+1%2F2',
        'GET /admin/usage?month=2026-02',
        'GET /v2/models/iris/versions/3',
        'POST /v2/models/iris/infer',
        'PUT /admin/models/iris/aliases/prod',
        'POST /admin/keys/0123456789abcdef/revoke',
      ]);
      expect(jsonBody(server?.requests[4])).toEqual({ version: '3' });
    });

    it('reports readiness from 503 answers instead of throwing', async () => {
      const client = await clientAnswering((path) =>
        path === '/v2/health/live' ? { body: { live: true } } : { status: 503, body: { ready: false } },
      );

      await expect(client.health()).resolves.toEqual({ live: true, ready: false });
    });
  });

  describe('errors', () => {
    it('turns the documented error body into an InfergateApiError', async () => {
      const client = await clientAnswering(() => ({
        status: 404,
        body: { error: 'model iris not found', code: 'model_not_found', requestId: 'req-1' },
      }));

      const error: unknown = await client.getModel('iris').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InfergateApiError);
      expect(error).toMatchObject({
        status: 404,
        code: 'model_not_found',
        message: 'model iris not found',
        requestId: 'req-1',
      });
    });

    it('takes the request id from the response headers when the body has none', async () => {
      const client = await clientAnswering(() => ({
        status: 401,
        body: { error: 'invalid API key', code: 'invalid_key' },
        headers: { 'x-request-id': 'req-2' },
      }));

      await expect(client.listTenants()).rejects.toMatchObject({
        status: 401,
        code: 'invalid_key',
        requestId: 'req-2',
      });
    });

    it("keeps the status of a gateway's own error bodies", async () => {
      const client = await clientAnswering(() => ({
        status: 413,
        body: { message: 'Request Entity Too Large' },
      }));

      await expect(client.listTenants()).rejects.toMatchObject({
        status: 413,
        code: 'http_413',
        message: 'Request Entity Too Large',
      });
    });

    it('reports non-JSON error bodies by status', async () => {
      const client = await clientAnswering(() => ({ status: 502, body: '<html>Bad Gateway</html>' }));

      await expect(client.listTenants()).rejects.toMatchObject({ status: 502, code: 'http_502' });
    });

    it('rejects a 2xx answer that is not JSON', async () => {
      const client = await clientAnswering(() => ({ status: 200, body: 'hello' }));

      const error: unknown = await client.listTenants().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InfergateClientError);
      expect(error).toMatchObject({ code: 'invalid_response' });
    });

    it('names the URL when nothing listens there', async () => {
      const port = await unusedPort();
      const client = new InfergateClient({ url: `http://127.0.0.1:${port}`, apiKey: KEY });

      const error: unknown = await client.listTenants().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InfergateNetworkError);
      expect(error).toMatchObject({ code: 'network_error', url: `http://127.0.0.1:${port}/admin/tenants` });
      expect(String(error)).toContain(`cannot reach http://127.0.0.1:${port}/admin/tenants`);
      expect(String(error)).toContain('ECONNREFUSED');
    });

    it('gives up after timeoutMs', async () => {
      const client = await clientAnswering(() => ({ hang: true }), 200);

      await expect(client.listTenants()).rejects.toMatchObject({
        name: 'InfergateNetworkError',
        code: 'timeout',
        message: expect.stringContaining('within 200 ms'),
      });
    });

    it('checks its options when constructed', () => {
      expect(() => new InfergateClient({ url: 'localhost:8787', apiKey: KEY })).toThrow(/url must/);
      expect(() => new InfergateClient({ url: 'ftp://example.com', apiKey: KEY })).toThrow(
        /url must use http/,
      );
      expect(() => new InfergateClient({ url: 'http://127.0.0.1', apiKey: ' ' })).toThrow(/apiKey/);
      expect(() => new InfergateClient({ url: 'http://127.0.0.1', apiKey: KEY, timeoutMs: 0 })).toThrow(
        /timeoutMs/,
      );
    });
  });
});
