import sharp from 'sharp';
import { generateApiKey } from '../../functions/core/keys/api-key';
import { ROUTES } from '../../functions/routes';
import type { UsageReport } from '../../functions/api/views';
import { fixtureModel } from '../support/fixtures';
import { sendRaw, type RawResponse } from '../support/raw-http';
import { startTrustPlatform, type TrustPlatform, type TrustTenant } from './support/trust-platform';

/**
 * Tenant A against tenant B, over every tenant-facing route: A cannot read, invoke, meter
 * against or learn of B's private models, keys or usage. "Learn" is checked by comparing
 * answers: B's private model must be answered exactly like a name nobody registered (status,
 * code, message with the name swapped, header names), whatever the route and version.
 */
describe('tenant isolation', () => {
  let trust: TrustPlatform;
  let a: TrustTenant;
  let b: TrustTenant;
  let bRevokedKeyId: string;
  let bExpiredKeyId: string;

  /** Same length as the hidden names, so that messages compare character for character. */
  const HIDDEN = 'b-private-model';
  const HIDDEN_UNPUBLISHED = 'b-private-draft';
  const MISSING = 'no-such-model-x';
  const BODY = JSON.stringify({
    inputs: [
      { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
      { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
    ],
  });

  /** A predict request: a small PNG in JSON. */
  let PREDICT_BODY = '';

  beforeAll(async () => {
    const image = await sharp({ create: { width: 16, height: 8, channels: 3, background: 'white' } })
      .png()
      .toBuffer();
    PREDICT_BODY = JSON.stringify({ image: image.toString('base64') });
    trust = await startTrustPlatform();
    const { admin } = trust.platform;
    a = await trust.tenant('tenant-a');
    b = await trust.tenant('tenant-b');
    for (const [name, owner] of [
      ['public-add-mul', undefined],
      ['a-private-model', a.tenantId],
      [HIDDEN, b.tenantId],
    ] as const) {
      const version = await admin.registerModel(name, fixtureModel('add-mul.onnx'), {
        visibility: owner === undefined ? 'public' : 'private',
        ownerTenantId: owner,
      });
      await admin.setAlias(name, 'prod', version.version);
    }
    await admin.setAlias(HIDDEN, 'staging', '1');
    await admin.createModel({ name: HIDDEN_UNPUBLISHED, visibility: 'private', ownerTenantId: b.tenantId });
    const revoked = await trust.key(b.tenantId);
    await admin.revokeKey(revoked.keyId);
    bRevokedKeyId = revoked.keyId;
    const expired = generateApiKey();
    await trust.registry.createKey({
      keyId: expired.keyId,
      tenantId: b.tenantId,
      hash: expired.hash,
      scopes: ['infer'],
      createdAt: '2020-01-01T00:00:00.000Z',
      expiresAt: '2020-01-02T00:00:00.000Z',
    });
    trust.watch.remember(expired.key);
    bExpiredKeyId = expired.keyId;
    // B uses its model, so that B has usage A could stumble on.
    for (let i = 0; i < 3; i++) await b.client.infer(HIDDEN, JSON.parse(BODY));
  });

  afterAll(async () => {
    await trust.stop();
  });

  /** Every tenant-facing route of ROUTES that names a model. */
  const modelRoutes = ROUTES.filter((route) => route.fn === 'inference' && route.path.includes('{name}'));

  /** Versions to try on routes with `{version}`: a number B has, B's aliases, one nobody has. */
  const versions = ['1', 'prod', 'staging', '7', 'nope'];

  const requests = modelRoutes.flatMap((route) =>
    (route.path.includes('{version}') ? versions : [undefined]).map((version) => ({
      route,
      version,
      label: `${route.method} ${route.path}${version === undefined ? '' : ` (version ${version})`}`,
    })),
  );

  function pathFor(template: string, name: string, version: string | undefined): string {
    return template.replace('{name}', name).replace('{version}', version ?? '');
  }

  async function call(method: string, path: string, key: string): Promise<RawResponse> {
    return sendRaw(trust.url, {
      method,
      path,
      headers: [
        ['authorization', `Bearer ${key}`],
        ['content-type', 'application/json'],
      ],
      body: method === 'POST' ? (path.endsWith('/predict') ? PREDICT_BODY : BODY) : undefined,
    });
  }

  /** What a caller can observe of an answer, with the model name swapped for a placeholder. */
  function observable(response: RawResponse, name: string) {
    const body = typeof response.json === 'object' && response.json !== null ? response.json : {};
    const error = Reflect.get(body, 'error');
    return {
      status: response.status,
      code: Reflect.get(body, 'code'),
      message: typeof error === 'string' ? error.split(name).join('<name>') : error,
      bodyFields: Object.keys(body).sort(),
      headerNames: Object.keys(response.headers)
        .filter((header) => !['date', 'apigw-requestid', 'x-request-id', 'content-length'].includes(header))
        .sort(),
    };
  }

  it('covers every tenant-facing model route', () => {
    expect(modelRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      [
        'GET /v2/models/{name}',
        'GET /v2/models/{name}/ready',
        'GET /v2/models/{name}/versions/{version}',
        'GET /v2/models/{name}/versions/{version}/ready',
        'POST /v2/models/{name}/infer',
        'POST /v2/models/{name}/versions/{version}/infer',
        'POST /v1/models/{name}/predict',
        'POST /v1/models/{name}/versions/{version}/predict',
      ].sort(),
    );
    expect(requests.length).toBe(4 + 4 * versions.length);
  });

  it.each(requests.map((r) => [r.label, r] as const))(
    "answers B's private model like a missing one: %s",
    async (_label, { route, version }) => {
      const hidden = await call(route.method, pathFor(route.path, HIDDEN, version), a.key);
      const unpublished = await call(route.method, pathFor(route.path, HIDDEN_UNPUBLISHED, version), a.key);
      const missing = await call(route.method, pathFor(route.path, MISSING, version), a.key);
      const owner = await call(route.method, pathFor(route.path, HIDDEN, version), b.key);

      expect(observable(hidden, HIDDEN)).toEqual(observable(missing, MISSING));
      expect(observable(unpublished, HIDDEN_UNPUBLISHED)).toEqual(observable(missing, MISSING));
      expect(observable(missing, MISSING)).toMatchObject({ status: 404, code: 'model_not_found' });
      // The owner sees the model: the 404s above are about A, not about the name. (B's model
      // declares no pipeline, so the owner's predict gets that far and is refused for it.)
      const served = route.path.endsWith('/predict') ? 400 : 200;
      expect(owner.status).toBe(version === '7' || version === 'nope' ? 404 : served);
    },
  );

  it("never lists B's private models to A, and lists A's own", async () => {
    const listed = (await a.client.listTenantModels()).models.map((m) => m.name);
    const listedToB = (await b.client.listTenantModels()).models.map((m) => m.name);

    expect(listed).toEqual(expect.arrayContaining(['public-add-mul', 'a-private-model']));
    expect(listed).not.toContain(HIDDEN);
    expect(listed).not.toContain(HIDDEN_UNPUBLISHED);
    expect(listedToB).toEqual(expect.arrayContaining(['public-add-mul', HIDDEN, HIDDEN_UNPUBLISHED]));
    expect(listedToB).not.toContain('a-private-model');
  });

  it("never shows B's usage to A, whatever A asks, and A's attempts leave B's usage as it was", async () => {
    const bBefore = await b.client.usage();
    await a.client.infer('public-add-mul', JSON.parse(BODY));
    const aBefore: UsageReport = await a.client.usage();

    // Every way A might reach B's model or B's counters.
    for (const { route, version } of requests) {
      await call(route.method, pathFor(route.path, HIDDEN, version), a.key);
    }
    const byQuery = await call('GET', `/v1/usage?tenantId=${b.tenantId}`, a.key);
    const aAfter = await a.client.usage();
    const bAfter = await b.client.usage();

    expect(byQuery.status).toBe(400);
    expect(aAfter.tenantId).toBe(a.tenantId);
    expect(aAfter.rows.map((row) => row.tenantId)).toEqual([a.tenantId]);
    expect(aAfter.rows.map((row) => row.modelName)).toEqual(['public-add-mul']);
    expect(aAfter.totals).toEqual(aBefore.totals);
    expect(bBefore.totals.requests).toBeGreaterThanOrEqual(3);
    expect(bAfter.totals).toEqual(bBefore.totals);
    expect(bAfter.rows.map((row) => row.tenantId)).toEqual([b.tenantId]);
  });

  it("answers B's key ids like unknown ones, whatever their state, without a secret", async () => {
    const secret = generateApiKey().key.slice(21);
    const unknownId = generateApiKey().keyId;
    const attempts = [b.keyId, bRevokedKeyId, bExpiredKeyId, unknownId].map((keyId) =>
      call('GET', '/v1/usage', `igk_${keyId}_${secret}`),
    );

    const [live, revoked, expired, unknown] = (await Promise.all(attempts)).map((r) => observable(r, ''));

    expect(unknown).toMatchObject({ status: 401, code: 'invalid_key' });
    expect(live).toEqual(unknown);
    expect(revoked).toEqual(unknown);
    expect(expired).toEqual(unknown);
  });

  it('never logged a key or a secret', () => {
    expect(trust.watch.remembered().length).toBeGreaterThanOrEqual(4);
    expect(trust.watch.leaks()).toEqual([]);
  });
});
