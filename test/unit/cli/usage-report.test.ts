import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/main';
import type { CliIo } from '../../../cli/io';
import { renderCsv } from '../../../functions/core/billing/csv';
import { renderHtml } from '../../../functions/core/billing/html';
import { buildBillingReport } from '../../../functions/core/billing/report';
import { monthInput } from '../billing/month-fixture';
import { startRecordingServer, type RecordingServer, type Reply } from '../client/recording-server';

const ADMIN_KEY = 'igk_0123456789abcdef_adminadminadminadminadminadminadminadmin01';
const REPORT = buildBillingReport(monthInput());

function capture(cwd: string): { io: CliIo; stdout: () => string; stderr: () => string } {
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
      env: {},
      cwd,
      now: () => new Date('2026-12-01T08:00:00.000Z'),
    },
    stdout: () => out,
    stderr: () => err,
  };
}

describe('infergate usage report', () => {
  let server: RecordingServer | undefined;
  let cwd = '';
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'infergate-report-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(cwd, { recursive: true, force: true });
  });

  async function platform(reply: (url: URL) => Reply): Promise<string[]> {
    server = await startRecordingServer((request, base) => reply(new URL(request.url, base)));
    return ['--url', server.url, '--admin-key', ADMIN_KEY];
  }

  const documents = (url: URL): Reply => {
    const format = url.searchParams.get('format');
    if (format === 'csv')
      return { body: renderCsv(REPORT), headers: { 'content-type': 'text/csv; charset=utf-8' } };
    if (format === 'html')
      return { body: renderHtml(REPORT), headers: { 'content-type': 'text/html; charset=utf-8' } };
    return { body: REPORT };
  };

  it('prints a table of lines, tenant totals and grand totals', async () => {
    const target = await platform(documents);
    const cli = capture(cwd);

    const code = await runCli([...target, 'usage', 'report', '--month', '2026-11'], cli.io);

    expect(code).toBe(0);
    const lines = cli.stdout().split('\n');
    expect(lines[0]).toBe('usage report for 2026-11 (all tenants), final');
    expect(lines[2]).toMatch(/^TENANT\s+MODEL\s+VERSION\s+PLAN\s+REQUESTS\s+ERRORS\s+COMPUTE S\s+PER 1K REQ/);
    expect(lines[3]).toMatch(
      /^t_acme\s+ocr-large\s+2\s+pro\s+10\s+2\s+3600\.000\s+1\.25\*\s+0\.0001\*\s+0\.37\s+USD$/,
    );
    expect(lines[6]).toMatch(/^t_acme\s+total\s+3,711\s+6\s+3616\.569\s+1\.37\s+USD$/);
    expect(cli.stdout()).toContain('total: EUR 0.49, JPY 15, USD 1.37');
    expect(server?.requests[0]?.url).toBe('/admin/reports/usage?month=2026-11');
  });

  it('passes --tenant and fetches CSV and HTML as the platform renders them', async () => {
    const target = await platform(documents);
    const cli = capture(cwd);

    await runCli(
      [...target, 'usage', 'report', '--month', '2026-11', '--tenant', 't_acme', '--format', 'csv'],
      cli.io,
    );
    await runCli([...target, 'usage', 'report', '--month', '2026-11', '--format', 'html'], cli.io);

    expect(server?.requests.map((request) => request.url)).toEqual([
      '/admin/reports/usage?month=2026-11&tenantId=t_acme&format=csv',
      '/admin/reports/usage?month=2026-11&format=html',
    ]);
    expect(cli.stdout()).toBe(renderCsv(REPORT) + renderHtml(REPORT));
  });

  it('prints the report as JSON with --format json or --json', async () => {
    const target = await platform(documents);
    const first = capture(cwd);
    const second = capture(cwd);

    await runCli([...target, 'usage', 'report', '--month', '2026-11', '--format', 'json'], first.io);
    await runCli([...target, '--json', 'usage', 'report', '--month', '2026-11'], second.io);

    expect(JSON.parse(first.stdout())).toEqual(REPORT);
    expect(second.stdout()).toBe(first.stdout());
  });

  it('writes the report to --out, creating the folder', async () => {
    const target = await platform(documents);
    const cli = capture(cwd);

    const code = await runCli(
      [...target, 'usage', 'report', '--month', '2026-11', '--format', 'html', '--out', 'reports/nov.html'],
      cli.io,
    );

    expect(code).toBe(0);
    expect(await readFile(join(cwd, 'reports/nov.html'), 'utf8')).toBe(renderHtml(REPORT));
    expect(cli.stdout()).toBe('wrote the html usage report of 2026-11 to reports/nov.html\n');
  });

  it('refuses a response that is not the format asked for', async () => {
    const target = await platform(() => ({ body: REPORT }));
    const cli = capture(cwd);

    const code = await runCli(
      [...target, 'usage', 'report', '--month', '2026-11', '--format', 'csv'],
      cli.io,
    );

    expect(code).toBe(1);
    expect(cli.stderr()).toContain('(invalid_response)');
  });

  it('reports the platform error with its code', async () => {
    const target = await platform(() => ({
      status: 404,
      body: { error: 'Tenant "t_x" was not found', code: 'tenant_not_found', requestId: 'r1' },
    }));
    const cli = capture(cwd);

    const code = await runCli(
      [...target, 'usage', 'report', '--month', '2026-11', '--tenant', 't_x'],
      cli.io,
    );

    expect(code).toBe(1);
    expect(cli.stderr()).toBe('error: Tenant "t_x" was not found (tenant_not_found)\nrequest id: r1\n');
  });

  it.each([
    [['usage', 'report'], /required option '--month <YYYY-MM>' not specified/],
    [['usage', 'report', '--month', '2026-13'], /expected a month as YYYY-MM/],
    [
      ['usage', 'report', '--month', '2026-11', '--format', 'pdf'],
      /Allowed choices are table, csv, json, html/,
    ],
    [
      ['--json', 'usage', 'report', '--month', '2026-11', '--format', 'csv'],
      /--json and --format csv disagree/,
    ],
  ])('refuses %j as a usage error without calling the platform', async (args, message) => {
    const target = await platform(documents);
    const cli = capture(cwd);

    const code = await runCli([...target, ...args], cli.io);

    expect(code).toBe(2);
    expect(cli.stderr()).toMatch(message);
    expect(server?.requests).toHaveLength(0);
  });
});
