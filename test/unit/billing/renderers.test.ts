import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CSV_COLUMNS, renderCsv } from '../../../functions/core/billing/csv';
import { renderHtml } from '../../../functions/core/billing/html';
import { buildBillingReport } from '../../../functions/core/billing/report';
import { monthInput } from './month-fixture';

const GOLDEN = join(__dirname, '../../fixtures/billing');

/** A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else if (char === '\n' || char === '\r' || char === '"') {
      throw new Error(`bare ${JSON.stringify(char)} at ${i}`);
    } else field += char;
  }
  if (field !== '' || record.length > 0) throw new Error('the last record has no CRLF');
  return records;
}

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)> & 'quote'`;

describe('renderCsv', () => {
  it('matches the golden CSV of the fixture month', () => {
    const golden = readFileSync(join(GOLDEN, 'usage-2026-11.csv'), 'utf8');

    expect(renderCsv(buildBillingReport(monthInput()))).toBe(golden);
  });

  it('is RFC 4180 with the documented header and the same width on every record', () => {
    const records = parseCsv(renderCsv(buildBillingReport(monthInput())));

    expect(records[0]).toEqual([...CSV_COLUMNS]);
    for (const record of records) expect(record).toHaveLength(CSV_COLUMNS.length);
    expect(records.slice(1).map((record) => record[0])).toEqual([
      'line',
      'line',
      'line',
      'tenant_total',
      'line',
      'line',
      'tenant_total',
      'line',
      'tenant_total',
      'grand_total',
      'grand_total',
      'grand_total',
    ]);
    expect(records[5]?.[3]).toBe('Globex "Intl" GmbH');
  });

  it('keeps the documented column order', () => {
    expect(CSV_COLUMNS).toEqual([
      'record_type',
      'month',
      'tenant_id',
      'tenant_name',
      'model',
      'version',
      'tier',
      'plan',
      'currency',
      'requests',
      'errors',
      'compute_seconds',
      'price_source',
      'price_per_1000_requests',
      'price_per_compute_second',
      'requests_amount',
      'compute_amount',
      'amount',
    ]);
  });

  it('defuses text a spreadsheet would run as a formula, and quotes line breaks', () => {
    const names = new Map([
      ['t_acme', '=HYPERLINK("http://evil.example","pay")'],
      ['t_globex', '@SUM(1+1)\r\nsecond line'],
      ['t_tokyo', '-2+3'],
    ]);
    const records = parseCsv(renderCsv(buildBillingReport(monthInput({ tenantNames: names }))));
    const nameOf = (tenantId: string) => records.find((record) => record[2] === tenantId)?.[3];

    expect(nameOf('t_acme')).toBe(`'=HYPERLINK("http://evil.example","pay")`);
    expect(nameOf('t_globex')).toBe(`'@SUM(1+1)\r\nsecond line`);
    expect(nameOf('t_tokyo')).toBe(`'-2+3`);
  });

  it('is a header alone for a month without usage', () => {
    expect(renderCsv(buildBillingReport(monthInput({ rows: [] })))).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('renderHtml', () => {
  const html = renderHtml(buildBillingReport(monthInput()));

  it('is one self-contained document with no scripts and no external references', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    for (const forbidden of [
      /<script/i,
      /\bsrc\s*=/i,
      /\bhref\s*=/i,
      /url\(/i,
      /@import/i,
      /https?:/i,
      /<link/i,
      /<iframe/i,
      /<object/i,
      /\bon[a-z]+\s*=/i,
    ]) {
      expect(html).not.toMatch(forbidden);
    }
  });

  it('draws a bar per day of the month in an inline SVG', () => {
    const svg = /<svg[^>]*>([\s\S]*?)<\/svg>/.exec(html)?.[1] ?? '';

    expect(svg.match(/<title>/g)).toHaveLength(30);
    expect(svg).toContain('<title>2026-11-17: 2,500 requests, 0 errors, 12.001 compute s</title>');
    expect(svg.match(/<rect class="ok"/g)).toHaveLength(31); // 30 days and the legend
  });

  it('shows every line and total of the report', () => {
    expect(html).toContain('<h1>Usage report, November 2026</h1>');
    expect(html).toContain('Final: the month is over.');
    expect(html).toContain('<td>ocr-large</td><td>2</td><td>sagemaker</td><td>pro</td>');
    expect(html).toContain('<td class="n">3,600.000</td>');
    expect(html).toContain('<td class="n">1.25 (model)</td>');
    expect(html).toContain('<td>Total</td>');
    expect(html).toContain(
      '<td>USD</td><td class="n">3,711</td><td class="n">6</td><td class="n">3,616.569</td><td class="n">1.01</td><td class="n">0.36</td><td class="n">1.37</td>',
    );
  });

  it('says when the amounts are an estimate', () => {
    const estimate = renderHtml(
      buildBillingReport(monthInput({ generatedAt: new Date('2026-11-20T12:00:00Z') })),
    );

    expect(estimate).toContain('Estimate to date');
  });

  it('escapes hostile names', () => {
    const hostile = renderHtml(
      buildBillingReport(
        monthInput({ tenantNames: new Map([['t_acme', HOSTILE]]), tenantId: 't_acme', rows: [] }),
      ),
    );

    expect(hostile).not.toContain('<script');
    expect(hostile).not.toContain('<img');
    expect(hostile).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;quote&#39; (t_acme)',
    );
    expect(hostile).toContain('No usage in this month.');
    expect(hostile).toContain('No requests this month');
  });
});
