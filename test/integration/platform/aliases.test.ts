import { InfergateApiError, type InfergateClient } from '../../../client';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

const MODEL = 'rollout-add-mul';
const BODY = JSON.stringify({
  inputs: [
    { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
    { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
  ],
});

/**
 * Versions and rollout over HTTP: weighted aliases routed per request, the served version
 * in `x-model-version` and in the usage rows, promote and rollback, and the 4xx answers.
 */
describe('aliases and rollout over HTTP', () => {
  let platform: TestPlatform;
  let tenantKey: string;
  let tenant: InfergateClient;

  beforeAll(async () => {
    platform = await startTestPlatform();
    // A plan whose rate limit leaves room for the 400-request canary run.
    const { tenantId } = await platform.admin.createTenant({ name: 'rollout', plan: 'enterprise' });
    tenantKey = (await platform.admin.createKey({ tenantId })).key;
    tenant = platform.client(tenantKey);
    // Three versions of the same file: what differs is only which one answers.
    for (let i = 0; i < 3; i++) {
      await platform.admin.registerModel(MODEL, fixtureModel('add-mul.onnx'), { visibility: 'public' });
    }
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

  /** Calls the model by name `count` times, 8 at a time; returns the served versions. */
  async function inferMany(count: number): Promise<string[]> {
    const served: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        next++;
        const response = await fetch(`${platform.url}/v2/models/${MODEL}/infer`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tenantKey}`, 'content-type': 'application/json' },
          body: BODY,
        });
        expect(response.status).toBe(200);
        const header = response.headers.get('x-model-version') ?? 'none';
        const body = (await response.json()) as { model_version: string };
        expect(body.model_version).toBe(header);
        served.push(header);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return served;
  }

  async function usageByVersion(): Promise<Record<string, number>> {
    const report = await tenant.usage();
    const counts: Record<string, number> = {};
    for (const row of report.rows) {
      if (row.modelName === MODEL) counts[row.version] = (counts[row.version] ?? 0) + row.requests;
    }
    return counts;
  }

  it('routes a 90/10 canary per request: both versions answer, in about that proportion, and are metered as served', async () => {
    await platform.admin.setAlias(MODEL, 'prod', '1');
    const canary = await platform.admin.setAlias(MODEL, 'prod', {
      routes: [
        { version: '1', weight: 90 },
        { version: '2', weight: 10 },
      ],
    });
    expect(canary).toMatchObject({
      version: '1',
      routes: [
        { version: '1', weight: 90 },
        { version: '2', weight: 10 },
      ],
      revision: 2,
      history: [{ version: '1' }],
    });
    const before = await usageByVersion();

    const served = await inferMany(400);

    const headers = { '1': 0, '2': 0 };
    for (const version of served) {
      if (version !== '1' && version !== '2') throw new Error(`version ${version} answered`);
      headers[version]++;
    }
    // Binomial(400, 0.1): mean 40, standard deviation 6; this range is 4 deviations wide.
    expect(headers['2']).toBeGreaterThanOrEqual(16);
    expect(headers['2']).toBeLessThanOrEqual(64);
    const after = await usageByVersion();
    expect((after['1'] ?? 0) - (before['1'] ?? 0)).toBe(headers['1']);
    expect((after['2'] ?? 0) - (before['2'] ?? 0)).toBe(headers['2']);
  }, 120_000);

  it('promotes, then rolls back step by step to each earlier target, until there is nothing left', async () => {
    const name = 'rollout-steps';
    for (let i = 0; i < 3; i++) {
      await platform.admin.registerModel(name, fixtureModel('add-mul.onnx'), { visibility: 'public' });
    }
    await platform.admin.setAlias(name, 'prod', '1');
    await platform.admin.setAlias(name, 'prod', {
      routes: [
        { version: '1', weight: 75 },
        { version: '3', weight: 25 },
      ],
    });
    const promoted = await platform.admin.setAlias(name, 'prod', '3');
    expect(promoted).toMatchObject({ version: '3', revision: 3 });
    expect(promoted.routes).toBeUndefined();
    expect((await tenant.infer(name, JSON.parse(BODY))).model_version).toBe('3');

    const back = await platform.admin.rollbackAlias(name, 'prod');
    expect(back).toMatchObject({
      version: '1',
      routes: [
        { version: '1', weight: 75 },
        { version: '3', weight: 25 },
      ],
      revision: 4,
      history: [{ version: '1' }],
    });
    const first = await platform.admin.rollbackAlias(name, 'prod');
    expect(first).toMatchObject({ version: '1', revision: 5, history: [] });
    expect(first.routes).toBeUndefined();
    expect((await tenant.infer(name, JSON.parse(BODY))).model_version).toBe('1');

    const nothing = await errorOf(platform.admin.rollbackAlias(name, 'prod'));
    expect(nothing).toMatchObject({ status: 409, code: 'nothing_to_roll_back' });
    expect(nothing.message).toContain('"prod"');

    // What the admin API and tenants see of the alias.
    const detail = await platform.admin.getModel(name);
    expect(detail.aliases).toEqual([first]);
    const listed = (await tenant.listTenantModels()).models.find((model) => model.name === name);
    expect(listed?.aliases).toEqual({ prod: '1' });
  });

  it('keeps staging and prod apart, and a name call always goes to prod', async () => {
    await platform.admin.setAlias(MODEL, 'staging', '3');
    await platform.admin.setAlias(MODEL, 'prod', '2');

    expect((await tenant.infer(MODEL, JSON.parse(BODY), 'staging')).model_version).toBe('3');
    expect((await tenant.infer(MODEL, JSON.parse(BODY))).model_version).toBe('2');
    expect((await tenant.infer(MODEL, JSON.parse(BODY), '1')).model_version).toBe('1');
  });

  it('changes nothing when the alias already has the target', async () => {
    const current = await platform.admin.setAlias(MODEL, 'prod', '2');
    const again = await platform.admin.setAlias(MODEL, 'prod', { version: '2' });

    expect(again).toEqual(current);
  });

  it('refuses bad weights, unknown versions and malformed bodies with 4xx codes', async () => {
    const put = (body: unknown) =>
      fetch(`${platform.url}/admin/models/${MODEL}/aliases/prod`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${platform.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { code: string; error: string },
      }));
    const routes = (...pairs: [string, number][]) => ({
      routes: pairs.map(([version, weight]) => ({ version, weight })),
    });

    const sum = await put(routes(['1', 80], ['2', 10]));
    expect(sum).toMatchObject({ status: 400, body: { code: 'invalid_routes' } });
    expect(sum.body.error).toContain('sum to 100, they sum to 90');
    await expect(put(routes(['1', 100], ['2', 0]))).resolves.toMatchObject({
      status: 400,
      body: { code: 'invalid_routes' },
    });
    await expect(put(routes(['1', 50], ['1', 50]))).resolves.toMatchObject({
      status: 400,
      body: { code: 'invalid_routes' },
    });
    await expect(
      put(routes(['1', 20], ['2', 20], ['3', 20], ['4', 20], ['5', 10], ['6', 10])),
    ).resolves.toMatchObject({ status: 400, body: { code: 'invalid_routes' } });
    const unknown = await put(routes(['1', 90], ['9', 10]));
    expect(unknown).toMatchObject({ status: 404, body: { code: 'version_not_found' } });
    expect(unknown.body.error).toContain('"9"');
    await expect(put({ version: '1', routes: [{ version: '2', weight: 100 }] })).resolves.toMatchObject({
      status: 400,
      body: { code: 'invalid_request' },
    });
    await expect(put({})).resolves.toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    await expect(put({ routes: [{ version: 'two', weight: 100 }] })).resolves.toMatchObject({
      status: 400,
      body: { code: 'invalid_request' },
    });

    // None of these changed the alias.
    const prod = (await platform.admin.getModel(MODEL)).aliases.find((alias) => alias.alias === 'prod');
    expect(prod).toMatchObject({ version: '2' });
    expect(prod?.routes).toBeUndefined();
  });

  it('applies a change based on a stale revision only once: the other gets 409 alias_changed', async () => {
    const current = await platform.admin.setAlias(MODEL, 'prod', '1');
    const revision = current.revision ?? 0;

    const results = await Promise.allSettled([
      platform.admin.setAlias(MODEL, 'prod', { version: '2', expectedRevision: revision }),
      platform.admin.setAlias(MODEL, 'prod', { version: '3', expectedRevision: revision }),
    ]);

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((result) => result.status === 'rejected');
    expect(rejected?.status === 'rejected' ? rejected.reason : undefined).toMatchObject({
      status: 409,
      code: 'alias_changed',
    });
    const after = (await platform.admin.getModel(MODEL)).aliases.find((alias) => alias.alias === 'prod');
    expect(after?.revision).toBe(revision + 1);
  });

  it('answers 404 for rollback of an alias or model that does not exist', async () => {
    await expect(errorOf(platform.admin.rollbackAlias(MODEL, 'nightly'))).resolves.toMatchObject({
      status: 404,
      code: 'alias_not_found',
    });
    await expect(errorOf(platform.admin.rollbackAlias('no-such-model', 'prod'))).resolves.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await expect(errorOf(tenant.rollbackAlias(MODEL, 'prod'))).resolves.toMatchObject({ status: 403 });
  });
});
