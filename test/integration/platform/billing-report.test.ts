import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfergateApiError, type InfergateClient } from '../../../client';
import { runCli } from '../../../cli/main';
import type { CliIo } from '../../../cli/io';
import type { BillingLine, BillingReport } from '../../../functions/api/views';
import { CSV_COLUMNS } from '../../../functions/core/billing/csv';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

/**
 * Billing end to end: real infer requests through the platform (dynalite, s3rver,
 * onnxruntime-web), a plan change in the middle, then the month's report through the admin
 * API, the CLI and the tenant's `GET /v1/usage`.
 */
describe('usage report over HTTP', () => {
  let platform: TestPlatform;
  let tenantId: string;
  let tenant: InfergateClient;
  let month: string;
  let cwd: string;
  const NAME = 'Acme <b>"Billing"</b> & Co';

  const INPUT = {
    inputs: [
      { name: 'a', shape: [1, 3], datatype: 'FP32' as const, data: [1, 2, 3] },
      { name: 'b', shape: [1, 3], datatype: 'FP32' as const, data: [4, 5, 6] },
    ],
  };
  const BAD_INPUT = { inputs: [{ name: 'a', shape: [1, 3], datatype: 'FP32' as const, data: [1, 2, 3] }] };

  async function rejected(call: Promise<unknown>): Promise<InfergateApiError> {
    try {
      await call;
    } catch (error) {
      if (error instanceof InfergateApiError) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  beforeAll(async () => {
    platform = await startTestPlatform();
    cwd = await mkdtemp(join(tmpdir(), 'infergate-billing-'));
    const lambda = { perThousandRequests: '250', perComputeSecond: '999.999999' };
    await platform.admin.createPlan({
      planId: 'starter-h6',
      currency: 'USD',
      prices: { tiers: { lambda, sagemaker: lambda } },
    });
    await platform.admin.createPlan({
      planId: 'scale-h6',
      currency: 'USD',
      prices: {
        tiers: { lambda: { perThousandRequests: '9', perComputeSecond: '9' }, sagemaker: lambda },
        models: { 'add-mul': { perThousandRequests: '333.333333', perComputeSecond: '0.000001' } },
      },
    });
    tenantId = (await platform.admin.createTenant({ name: NAME, plan: 'starter-h6' })).tenantId;
    tenant = platform.client((await platform.admin.createKey({ tenantId })).key);
    const version = await platform.admin.registerModel('add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'public',
    });
    await platform.admin.setAlias('add-mul', 'prod', version.version);

    // Three successful requests and one that fails on starter, then two on scale.
    for (let i = 0; i < 3; i += 1) await tenant.infer('add-mul', INPUT);
    expect((await rejected(tenant.infer('add-mul', BAD_INPUT))).status).toBe(400);
    await platform.admin.setTenantPlan(tenantId, 'scale-h6');
    for (let i = 0; i < 2; i += 1) await tenant.infer('add-mul', INPUT);

    // Another tenant's usage, which must stay out of the first tenant's figures.
    const other = (await platform.admin.createTenant({ name: 'Other', plan: 'starter-h6' })).tenantId;
    await platform.client((await platform.admin.createKey({ tenantId: other })).key).infer('add-mul', INPUT);
    month = new Date().toISOString().slice(0, 7);
  });

  afterAll(async () => {
    await platform.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  function linesOf(report: BillingReport, id: string): readonly BillingLine[] {
    return report.tenants.find((bill) => bill.tenantId === id)?.lines ?? [];
  }

  /** `seconds × price` rounded half-up to cents, from the decimal strings (an independent check). */
  function cents(quantity: string, price: string): string {
    const scaled = (text: string, decimals: number) => {
      const [whole = '0', fraction = ''] = text.split('.');
      return BigInt(whole + fraction.padEnd(decimals, '0'));
    };
    const exact = scaled(quantity, 3) * scaled(price, 6); // units of 1e-9
    const divisor = 10n ** 7n;
    const rounded = (exact + divisor / 2n) / divisor;
    return `${rounded / 100n}.${String(rounded % 100n).padStart(2, '0')}`;
  }

  it('prices each plan of a tenant that changed plan in the month', async () => {
    const report = await platform.admin.usageReport({ month, tenantId });

    expect(report.final).toBe(false);
    const [scale, starter] = linesOf(report, tenantId);
    expect(starter).toMatchObject({
      modelName: 'add-mul',
      version: '1',
      tier: 'lambda',
      plan: 'starter-h6',
      currency: 'USD',
      requests: 3,
      errors: 1,
      priceSource: 'tier',
      pricePerThousandRequests: '250.00',
      pricePerComputeSecond: '999.999999',
      requestsAmount: '0.75', // 3 × 250 / 1000; the failed request is not billed
    });
    expect(scale).toMatchObject({
      plan: 'scale-h6',
      requests: 2,
      errors: 0,
      priceSource: 'model',
      pricePerThousandRequests: '333.333333',
      requestsAmount: '0.67', // 2 × 333.333333 / 1000 = 0.666666666
    });
    for (const line of [starter, scale]) {
      if (line === undefined) throw new Error('missing line');
      expect(line.computeAmount).toBe(cents(line.computeSeconds, line.pricePerComputeSecond));
      const sum = Number(line.requestsAmount.replace('.', '')) + Number(line.computeAmount.replace('.', ''));
      expect(line.amount.replace('.', '')).toBe(String(sum).padStart(3, '0'));
    }
    expect(report.tenants).toHaveLength(1);
    expect(report.tenants[0]?.tenantName).toBe(NAME);
  });

  it('agrees with the metered rows', async () => {
    const [report, usage] = await Promise.all([
      platform.admin.usageReport({ month, tenantId }),
      platform.admin.adminUsage({ month, tenantId }),
    ]);

    for (const line of linesOf(report, tenantId)) {
      const rows = usage.rows.filter((row) => row.plan === line.plan);
      expect(line.requests).toBe(rows.reduce((sum, row) => sum + row.requests, 0));
      expect(line.errors).toBe(rows.reduce((sum, row) => sum + row.errors, 0));
      const ms = rows.reduce((sum, row) => sum + row.computeMs, 0);
      expect(Number(line.computeSeconds)).toBeCloseTo(Math.round(ms) / 1000, 6);
    }
  });

  it('lists every tenant in the report of all tenants, with totals per currency', async () => {
    const report = await platform.admin.usageReport({ month });

    expect(report.tenants.map((bill) => bill.tenantId)).toEqual(
      expect.arrayContaining([tenantId, expect.stringMatching(/^t_/)]),
    );
    const usd = report.totals.find((total) => total.currency === 'USD');
    const tenantTotals = report.tenants.flatMap((bill) => bill.totals.filter((t) => t.currency === 'USD'));
    expect(usd?.amount.replace('.', '')).toBe(
      String(tenantTotals.reduce((sum, t) => sum + Number(t.amount.replace('.', '')), 0)).padStart(3, '0'),
    );
    expect(report.daily.some((day) => day.requests >= 6)).toBe(true);
  });

  it('serves CSV and HTML with their content types', async () => {
    const headers = { authorization: `Bearer ${platform.adminKey}` };
    const csv = await fetch(
      `${platform.url}/admin/reports/usage?month=${month}&tenantId=${tenantId}&format=csv`,
      { headers },
    );
    const html = await fetch(`${platform.url}/admin/reports/usage?month=${month}&format=html`, { headers });

    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers.get('content-disposition')).toBe(
      `attachment; filename="infergate-usage-${month}-${tenantId}.csv"`,
    );
    const records = (await csv.text()).split('\r\n');
    expect(records[0]).toBe(CSV_COLUMNS.join(','));
    expect(records.filter((record) => record.startsWith('line,'))).toHaveLength(2);
    const scaleLine = `line,${month},${tenantId},"Acme <b>""Billing""</b> & Co",add-mul,1,lambda,scale-h6,USD,2,0,`;
    expect(records.filter((record) => record.startsWith(scaleLine))).toHaveLength(1);

    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await html.text();
    expect(page).toContain('Acme &lt;b&gt;&quot;Billing&quot;&lt;/b&gt; &amp; Co');
    expect(page).not.toMatch(/<script|https?:|\bsrc=|\bhref=/i);
    expect(page).toContain('<svg class="chart"');
  });

  it('refuses bad months, formats and tenants with codes', async () => {
    const headers = { authorization: `Bearer ${platform.adminKey}` };
    const get = async (query: string) => {
      const response = await fetch(`${platform.url}/admin/reports/usage?${query}`, { headers });
      return { status: response.status, body: (await response.json()) as { code: string } };
    };

    expect(await get('month=2026-13')).toMatchObject({ status: 400, body: { code: 'invalid_month' } });
    expect(await get(`month=${month}&format=pdf`)).toMatchObject({
      status: 400,
      body: { code: 'invalid_format' },
    });
    expect(await get(`month=${month}&tenant=${tenantId}`)).toMatchObject({
      status: 400,
      body: { code: 'invalid_request' },
    });
    expect(await get(`month=${month}&tenantId=t_nobody`)).toMatchObject({
      status: 404,
      body: { code: 'tenant_not_found' },
    });
    expect((await rejected(tenant.usageReport({ month }))).status).toBe(403);
  });

  it('writes the same report with the CLI', async () => {
    let out = '';
    let err = '';
    const io: CliIo = {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      env: {},
      cwd,
      now: () => new Date(),
    };
    const target = ['--url', platform.url, '--admin-key', platform.adminKey];

    const csvCode = await runCli(
      [
        ...target,
        'usage',
        'report',
        '--month',
        month,
        '--tenant',
        tenantId,
        '--format',
        'csv',
        '--out',
        'r.csv',
      ],
      io,
    );
    const tableCode = await runCli(
      [...target, 'usage', 'report', '--month', month, '--tenant', tenantId],
      io,
    );

    expect(err).toBe('');
    expect([csvCode, tableCode]).toEqual([0, 0]);
    expect(await readFile(join(cwd, 'r.csv'), 'utf8')).toBe(
      await platform.admin.usageReportDocument('csv', { month, tenantId }),
    );
    expect(out).toContain(`usage report for ${month} (tenant ${tenantId}), estimate to date`);
    expect(out).toMatch(new RegExp(`${tenantId}\\s+add-mul\\s+1\\s+starter-h6\\s+3\\s+1\\s`));
    expect(out).toMatch(new RegExp(`${tenantId}\\s+total\\s+5\\s+1\\s`));
  });

  it("shows the tenant its own priced usage and the month's estimated charge", async () => {
    const [usage, report] = await Promise.all([
      tenant.usage(),
      platform.admin.usageReport({ month, tenantId }),
    ]);

    expect(usage.month).toBe(month);
    expect(usage.totals.requests).toBe(5);
    expect(usage.totals.errors).toBe(1);
    expect(usage.charges.final).toBe(false);
    expect(usage.charges.lines).toEqual(linesOf(report, tenantId));
    expect(usage.charges.totals).toEqual(report.tenants[0]?.totals);
    expect(usage.charges.lines.every((line) => line.tenantId === tenantId)).toBe(true);
    expect(usage.rows.every((row) => row.tenantId === tenantId)).toBe(true);
  });
});
