import { InfergateApiError, type InfergateClient } from '../../../client';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

/**
 * The platform over HTTP: the real handlers behind the local API Gateway server, with
 * dynalite, s3rver and onnxruntime-web.
 */
describe('platform over HTTP', () => {
  let platform: TestPlatform;
  let tenantId: string;
  let tenant: InfergateClient;

  beforeAll(async () => {
    platform = await startTestPlatform();
    tenantId = (await platform.admin.createTenant({ name: 'acme' })).tenantId;
    const key = await platform.admin.createKey({ tenantId });
    tenant = platform.client(key.key);
    const version = await platform.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await platform.admin.setAlias('add-mul', 'prod', version.version);
  });

  afterAll(async () => {
    await platform.stop();
  });

  async function errorOf(call: Promise<unknown>): Promise<InfergateApiError> {
    try {
      await call;
    } catch (error) {
      if (error instanceof InfergateApiError) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  it('answers health without a key', async () => {
    const live = await fetch(`${platform.url}/v2/health/live`);
    const ready = await fetch(`${platform.url}/v2/health/ready`);

    expect(live.status).toBe(200);
    expect(ready.status).toBe(200);
  });

  it('serves model metadata read from the ONNX graph', async () => {
    const metadata = await tenant.modelMetadata('add-mul');

    expect(metadata).toEqual({
      name: 'add-mul',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [-1, 3] },
        { name: 'b', datatype: 'FP32', shape: [-1, 3] },
      ],
      outputs: [
        { name: 'sum', datatype: 'FP32', shape: [-1, 3] },
        { name: 'product', datatype: 'FP32', shape: [-1, 3] },
      ],
    });
  });

  it('infers with several inputs and outputs, nested or flat data, and selected outputs', async () => {
    const response = await tenant.infer('add-mul', {
      id: 'req-1',
      inputs: [
        {
          name: 'a',
          shape: [2, 3],
          datatype: 'FP32',
          data: [
            [1, 2, 3],
            [4, 5, 6],
          ],
        },
        { name: 'b', shape: [2, 3], datatype: 'FP32', data: [0.5, 0.5, 0.5, 2, 2, 2] },
      ],
    });

    expect(response).toEqual({
      model_name: 'add-mul',
      model_version: '1',
      id: 'req-1',
      outputs: [
        { name: 'sum', datatype: 'FP32', shape: [2, 3], data: [1.5, 2.5, 3.5, 6, 7, 8] },
        { name: 'product', datatype: 'FP32', shape: [2, 3], data: [0.5, 1, 1.5, 8, 10, 12] },
      ],
    });

    const selected = await tenant.infer(
      'add-mul',
      {
        inputs: [
          { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 1, 1] },
          { name: 'b', shape: [1, 3], datatype: 'FP32', data: [3, 3, 3] },
        ],
        outputs: [{ name: 'product' }],
      },
      '1',
    );
    expect(selected.outputs).toEqual([{ name: 'product', datatype: 'FP32', shape: [1, 3], data: [3, 3, 3] }]);
  });

  it('reports the served version in x-model-version', async () => {
    const response = await fetch(`${platform.url}/v2/models/add-mul/infer`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await platform.admin.createKey({ tenantId })).key}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        inputs: [
          { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 1, 1] },
          { name: 'b', shape: [1, 3], datatype: 'FP32', data: [1, 1, 1] },
        ],
      }),
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-model-version')).toBe('1');
  });

  it('refuses an answer over the Lambda response limit with 400 output_too_large, metered as an error', async () => {
    const big = await platform.admin.createTenant({ name: 'big-batches', plan: 'enterprise' });
    const client = platform.client((await platform.admin.createKey({ tenantId: big.tenantId })).key);
    // 70,000 rows: 1.7 MB of request; each FP32 result prints as ~20 characters, 8 MB in all.
    const rows = 70_000;
    const data = new Array<number>(rows * 3).fill(0.1);
    const request = {
      inputs: [
        { name: 'a', shape: [rows, 3], datatype: 'FP32' as const, data },
        { name: 'b', shape: [rows, 3], datatype: 'FP32' as const, data },
      ],
    };

    const refused = await errorOf(client.infer('add-mul', request));
    const fewerOutputs = await client.infer('add-mul', {
      ...request,
      inputs: request.inputs.map((input) => ({
        ...input,
        shape: [rows / 10, 3],
        data: data.slice(0, rows * 0.3),
      })),
    });

    expect(refused).toMatchObject({ status: 400, code: 'output_too_large' });
    expect(refused.message).toMatch(/MB/);
    expect(fewerOutputs.outputs).toHaveLength(2);
    const usage = await client.usage();
    expect(usage.totals).toMatchObject({ requests: 1, errors: 1 });
  });

  it('rejects input that does not match the model with 400 naming the input', async () => {
    const wrongType = await errorOf(
      tenant.infer('add-mul', {
        inputs: [
          { name: 'a', shape: [1, 3], datatype: 'INT32', data: [1, 2, 3] },
          { name: 'b', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
        ],
      }),
    );
    const missing = await errorOf(
      tenant.infer('add-mul', { inputs: [{ name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }),
    );

    expect(wrongType).toMatchObject({ status: 400, code: 'datatype_mismatch' });
    expect(wrongType.message).toMatch(/"a"|'a'|\ba\b/);
    expect(missing).toMatchObject({ status: 400, code: 'missing_input' });
    expect(missing.message).toContain('b');
  });

  it('answers 401 for missing, malformed and unknown keys, and 403 without the scope', async () => {
    const noKey = await fetch(`${platform.url}/v2/models/add-mul`);
    const malformed = await fetch(`${platform.url}/v2/models/add-mul`, { headers: { 'x-api-key': 'nope' } });
    const unknown = await fetch(`${platform.url}/v2/models/add-mul`, {
      headers: { authorization: 'Bearer igk_0123456789abcdef_' + 'A'.repeat(43) },
    });
    const usageOnly = await platform.admin.createKey({ tenantId, scopes: ['usage:read'] });
    const forbidden = await errorOf(platform.client(usageOnly.key).modelMetadata('add-mul'));
    const tenantOnAdmin = await errorOf(tenant.listTenants());

    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ code: 'missing_key' });
    expect(malformed.status).toBe(401);
    expect(await malformed.json()).toMatchObject({ code: 'malformed_key' });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ code: 'invalid_key' });
    expect(forbidden).toMatchObject({ status: 403, code: 'insufficient_scope' });
    expect(tenantOnAdmin).toMatchObject({ status: 403, code: 'insufficient_scope' });
  });

  it("hides another tenant's private model exactly like a missing one", async () => {
    const other = await platform.admin.createTenant({ name: 'other' });
    await platform.admin.registerModel('other-private', fixtureModel('add-mul.onnx'), {
      visibility: 'private',
      ownerTenantId: other.tenantId,
    });
    await platform.admin.setAlias('other-private', 'prod', '1');
    const otherClient = platform.client((await platform.admin.createKey({ tenantId: other.tenantId })).key);

    const hidden = await errorOf(tenant.modelMetadata('other-private'));
    const missing = await errorOf(tenant.modelMetadata('no-such-model'));
    const mine = await otherClient.modelMetadata('other-private');

    expect(hidden.status).toBe(404);
    expect(hidden.code).toBe(missing.code);
    expect(hidden.message.replace('other-private', 'X')).toBe(missing.message.replace('no-such-model', 'X'));
    expect(mine.name).toBe('other-private');
    expect((await tenant.listTenantModels()).models.map((m) => m.name)).not.toContain('other-private');
  });

  it('meters 500 concurrent requests exactly, errors apart', async () => {
    // 500 at once: within the burst of `enterprise`; `free` would rate-limit them.
    const meter = await platform.admin.createTenant({ name: 'meter', plan: 'enterprise' });
    const client = platform.client((await platform.admin.createKey({ tenantId: meter.tenantId })).key);
    const request = {
      inputs: [
        { name: 'a', shape: [1, 3], datatype: 'FP32' as const, data: [1, 2, 3] },
        { name: 'b', shape: [1, 3], datatype: 'FP32' as const, data: [1, 2, 3] },
      ],
    };

    const results = await Promise.allSettled(
      Array.from({ length: 500 }, () => client.infer('add-mul', request)),
    );
    await errorOf(client.infer('add-mul', { inputs: [] }));
    const usage = await client.usage();

    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures.slice(0, 3)).toEqual([]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(500);
    expect(usage.totals.requests).toBe(500);
    expect(usage.totals.errors).toBe(1);
    expect(usage.rows).toHaveLength(1);
    expect(usage.rows[0]).toMatchObject({ tenantId: meter.tenantId, modelName: 'add-mul', version: '1' });
    expect(usage.totals.inputBytes).toBeGreaterThan(500 * 100);
    expect(usage.totals.outputBytes).toBeGreaterThan(500 * 100);
  });

  it('revokes a key at once (local TTL 0)', async () => {
    const key = await platform.admin.createKey({ tenantId });
    const client = platform.client(key.key);
    await client.modelMetadata('add-mul');

    await platform.admin.revokeKey(key.keyId);

    expect(await errorOf(client.modelMetadata('add-mul'))).toMatchObject({
      status: 401,
      code: 'key_revoked',
    });
  });

  it('answers 404, 405, 413 and 415 with the JSON error shape', async () => {
    const auth = { authorization: `Bearer ${platform.adminKey}` };
    const notFound = await fetch(`${platform.url}/v3/nothing`, { headers: auth });
    const notAllowed = await fetch(`${platform.url}/v2/models/add-mul/infer`, {
      method: 'DELETE',
      headers: auth,
    });
    const tooLarge = await fetch(`${platform.url}/v2/models/add-mul/infer`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: 'x'.repeat(7 * 1024 * 1024),
    });
    const wrongType = await fetch(`${platform.url}/v2/models/add-mul/infer`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: '{}',
    });
    const badJson = await fetch(`${platform.url}/v2/models/add-mul/infer`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"inputs": [',
    });

    expect([notFound.status, await notFound.json()]).toEqual([
      404,
      expect.objectContaining({ code: 'route_not_found' }),
    ]);
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.headers.get('allow')).toBe('POST');
    expect(await notAllowed.json()).toMatchObject({ code: 'method_not_allowed' });
    expect([tooLarge.status, await tooLarge.json()]).toEqual([
      413,
      expect.objectContaining({ code: 'payload_too_large' }),
    ]);
    expect([wrongType.status, await wrongType.json()]).toEqual([
      415,
      expect.objectContaining({ code: 'unsupported_media_type' }),
    ]);
    expect([badJson.status, await badJson.json()]).toEqual([
      400,
      expect.objectContaining({ code: 'invalid_json' }),
    ]);
  });

  it('rejects files that are not ONNX models and registers nothing', async () => {
    await platform.admin.createModel({ name: 'garbage', visibility: 'public' });
    const uploadId = await platform.admin.uploadArtifact(new TextEncoder().encode('not a model at all'));

    const error = await errorOf(platform.admin.createVersion('garbage', { uploadId }));

    expect(error).toMatchObject({ status: 400, code: 'invalid_model' });
    expect((await platform.admin.listVersions('garbage')).versions).toEqual([]);
  });

  it('serves the OpenAPI document', async () => {
    const document = await platform.admin.openapi();

    expect(document.openapi).toBe('3.1.0');
  });
});
