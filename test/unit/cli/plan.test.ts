import { InvalidArgumentError } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../../cli/io';
import { runCli } from '../../../cli/main';
import {
  collectModelPrice,
  collectTierPrice,
  parseBurst,
  parseCurrency,
  parseMaxPayload,
  parseModels,
  parsePlanId,
  parseQuota,
  parseRate,
  parseTiers,
} from '../../../cli/plan-options';
import type { Plan } from '../../../functions/core/registry/types';
import { jsonBody, startRecordingServer, type RecordingServer, type Reply } from '../client/recording-server';

const ADMIN_KEY = 'igk_0123456789abcdef_adminadminadminadminadminadminadminadmin01';
const PRICE = { perThousandRequests: '0.40', perComputeSecond: '0.00005' };
const FREE = { perThousandRequests: '0', perComputeSecond: '0' };
const PLAN: Plan = {
  planId: 'team',
  description: 'for teams',
  monthlyQuota: 100_000,
  rateLimit: { requestsPerSecond: 10, burst: 20 },
  allowedTiers: ['lambda'],
  allowedModels: ['digits'],
  maxPayloadBytes: 1_048_576,
  currency: 'USD',
  prices: {
    tiers: { lambda: PRICE, sagemaker: FREE },
    models: { digits: { ...PRICE, perThousandRequests: '0.1' } },
  },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
};

describe('plan option parsers', () => {
  it.each([
    [parseQuota, '1000000', 1_000_000],
    [parseQuota, '1,000,000', 1_000_000],
    [parseQuota, '10_000', 10_000],
    [parseRate, '50', 50],
    [parseRate, '0.5', 0.5],
    [parseBurst, '100', 100],
    [parseTiers, 'lambda, sagemaker,lambda', ['lambda', 'sagemaker']],
    [parseModels, 'digits,text-direction', ['digits', 'text-direction']],
    [parseMaxPayload, '1048576', 1_048_576],
    [parseMaxPayload, '512KB', 524_288],
    [parseMaxPayload, '6MB', 6 * 1024 * 1024],
    [parseCurrency, 'eur', 'EUR'],
    [parsePlanId, 'pro-2', 'pro-2'],
  ])('%p reads %j', (parse: (value: string) => unknown, value, expected) => {
    expect(parse(value)).toEqual(expected);
  });

  it.each([
    [parseQuota, '0'],
    [parseQuota, '1.5'],
    [parseQuota, '-5'],
    [parseQuota, '1e6'],
    [parseQuota, '1,00,000'],
    [parseRate, '0'],
    [parseRate, 'fast'],
    [parseRate, '1e3'],
    [parseBurst, '0'],
    [parseBurst, '2.5'],
    [parseTiers, ''],
    [parseTiers, 'lambda,gpu'],
    [parseModels, ','],
    [parseModels, 'Digits'],
    [parseMaxPayload, '0'],
    [parseMaxPayload, '7MB'],
    [parseMaxPayload, '1GB'],
    [parseCurrency, 'dollars'],
    [parsePlanId, 'Pro'],
    [parsePlanId, 'a/b'],
  ])('%p refuses %j naming what it expects', (parse: (value: string) => unknown, value) => {
    expect(() => parse(value)).toThrow(InvalidArgumentError);
    expect(() => parse(value)).toThrow(/expected|must|at most|unknown|a model name/);
  });

  it('collects prices by tier and by model, as decimal strings', () => {
    const tiers = collectTierPrice('sagemaker=1/0.0006', collectTierPrice('lambda=0.40/0.00005'));
    const models = collectModelPrice('digits=0.1/0', {});

    expect(tiers).toEqual({
      lambda: PRICE,
      sagemaker: { perThousandRequests: '1', perComputeSecond: '0.0006' },
    });
    expect(models).toEqual({ digits: { perThousandRequests: '0.1', perComputeSecond: '0' } });
    expect(() => collectTierPrice('gpu=1/1')).toThrow(/unknown tier "gpu"/);
    expect(() => collectTierPrice('lambda=0.4')).toThrow(InvalidArgumentError);
    expect(() => collectTierPrice('lambda=1e-3/0')).toThrow(InvalidArgumentError);
    expect(() => collectTierPrice('lambda=0.1234567/0')).toThrow(InvalidArgumentError);
    expect(() => collectTierPrice('lambda=-1/0')).toThrow(InvalidArgumentError);
    expect(() => collectModelPrice('Bad Name=1/1')).toThrow(/a model name/);
  });
});

describe('infergate plan and tenant plan commands', () => {
  /** Every server a test started: a test may run several commands. */
  const servers: RecordingServer[] = [];
  let cwd = '';
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'infergate-cli-plan-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await rm(cwd, { recursive: true, force: true });
  });

  async function platform(reply: () => Reply): Promise<RecordingServer> {
    const server = await startRecordingServer(reply);
    servers.push(server);
    return server;
  }

  function capture(): { io: CliIo; stdout: () => string; stderr: () => string } {
    let out = '';
    let err = '';
    return {
      io: {
        out: (text) => (out += text),
        err: (text) => (err += text),
        env: {},
        cwd,
        now: () => new Date('2026-01-01T00:00:00.000Z'),
      },
      stdout: () => out,
      stderr: () => err,
    };
  }

  async function run(args: string[], reply: Reply = { body: PLAN }) {
    const server = await platform(() => reply);
    const cli = capture();
    const code = await runCli([...args, '--url', server.url, '--admin-key', ADMIN_KEY], cli.io);
    return { code, out: cli.stdout(), err: cli.stderr(), requests: server.requests };
  }

  it('plan create sends every option as the plan body', async () => {
    const { code, requests, out } = await run(
      [
        'plan',
        'create',
        'team',
        '--description',
        'for teams',
        '--quota',
        '100,000',
        '--rate',
        '10',
        '--burst',
        '20',
        '--tiers',
        'lambda',
        '--models',
        'digits',
        '--max-payload',
        '1MB',
        '--currency',
        'usd',
        '--price',
        'lambda=0.40/0.00005',
        '--model-price',
        'digits=0.1/0.00005',
      ],
      { status: 201, body: PLAN },
    );

    expect(code).toBe(0);
    expect(requests[0]?.method).toBe('POST');
    expect(requests[0]?.url).toBe('/admin/plans');
    expect(jsonBody(requests[0])).toEqual({
      planId: 'team',
      description: 'for teams',
      monthlyQuota: 100_000,
      rateLimit: { requestsPerSecond: 10, burst: 20 },
      allowedTiers: ['lambda'],
      allowedModels: ['digits'],
      maxPayloadBytes: 1_048_576,
      currency: 'USD',
      // sagemaker is not allowed: it is priced 0 when no --price names it.
      prices: {
        tiers: { lambda: PRICE, sagemaker: FREE },
        models: { digits: { perThousandRequests: '0.1', perComputeSecond: '0.00005' } },
      },
    });
    expect(out).toContain('created plan team');
    expect(out).toContain('100,000/month');
  });

  it('plan create leaves out what is not given (unlimited), and bursts one second of the rate', async () => {
    const { requests } = await run(
      ['plan', 'create', 'open', '--rate', '2.5', '--price', 'lambda=0/0', '--price', 'sagemaker=1/0.0006'],
      { status: 201, body: PLAN },
    );

    expect(jsonBody(requests[0])).toEqual({
      planId: 'open',
      rateLimit: { requestsPerSecond: 2.5, burst: 3 },
      prices: {
        tiers: { lambda: FREE, sagemaker: { perThousandRequests: '1', perComputeSecond: '0.0006' } },
      },
    });
  });

  it('plan update sends a merge patch: --no-* removes, options given replace', async () => {
    const { code, requests } = await run([
      'plan',
      'update',
      'team',
      '--no-quota',
      '--burst',
      '40',
      '--no-models',
      '--no-description',
      '--price',
      'sagemaker=2/0.001',
      '--model-price',
      'text-direction=0.2/0',
      '--drop-model-price',
      'digits',
    ]);

    expect(code).toBe(0);
    expect(requests[0]?.method).toBe('PATCH');
    expect(requests[0]?.url).toBe('/admin/plans/team');
    expect(jsonBody(requests[0])).toEqual({
      description: null,
      monthlyQuota: null,
      rateLimit: { burst: 40 },
      allowedModels: null,
      prices: {
        tiers: { sagemaker: { perThousandRequests: '2', perComputeSecond: '0.001' } },
        models: { 'text-direction': { perThousandRequests: '0.2', perComputeSecond: '0' }, digits: null },
      },
    });
  });

  it('plan update --no-rate removes the rate limit', async () => {
    const { requests } = await run(['plan', 'update', 'team', '--no-rate', '--quota', '5']);

    expect(jsonBody(requests[0])).toEqual({ monthlyQuota: 5, rateLimit: null });
  });

  it.each([
    [['plan', 'create', 'team']],
    [['plan', 'create', 'team', '--price', 'lambda=1/1']],
    [['plan', 'create', 'team', '--tiers', 'lambda', '--burst', '5', '--price', 'lambda=1/1']],
    [['plan', 'create', 'Team', '--price', 'lambda=1/1', '--price', 'sagemaker=1/1']],
    [['plan', 'create', 'team', '--quota', '0']],
    [['plan', 'create', 'team', '--tiers', 'gpu']],
    [['plan', 'create', 'team', '--price', 'lambda=0.4']],
    [['plan', 'update', 'team']],
    [['plan', 'update', 'team', '--no-rate', '--burst', '5']],
    [['plan', 'update', 'team', '--model-price', 'digits=1/1', '--drop-model-price', 'digits']],
    [['plan', 'update', 'team', '--max-payload', '10MB']],
    [['plan', 'show', 'NOPE']],
    [['tenant', 'set-plan', 't_acme']],
    [['tenant', 'set-plan', 't_acme', 'Pro Plan']],
    [['tenant', 'create', 'acme', '--plan', 'Pro!']],
  ])('exits 2 without calling the platform for %j', async (args) => {
    const { code, err, out, requests } = await run(args);

    expect(code).toBe(2);
    expect(err).toMatch(/^error: /);
    expect(out).toBe('');
    expect(requests).toHaveLength(0);
  });

  it('plan list prints a table, and the JSON with --json', async () => {
    const { out } = await run(['plan', 'list'], { body: { plans: [PLAN] } });
    const json = await run(['plan', 'list', '--json'], { body: { plans: [PLAN] } });

    expect(out.split('\n')).toEqual([
      'PLAN  QUOTA          RATE LIMIT        TIERS   MODELS  MAX PAYLOAD  CURRENCY',
      'team  100,000/month  10 rps, burst 20  lambda  1       1.0 MB       USD',
      '',
    ]);
    expect(JSON.parse(json.out)).toEqual({ plans: [PLAN] });
  });

  it('plan show prints the limits and the prices of the allowed tiers and models', async () => {
    const { out, requests } = await run(['plan', 'show', 'team']);

    expect(requests[0]?.url).toBe('/admin/plans/team');
    expect(out).toMatch(/^quota: +100,000\/month$/m);
    expect(out).toMatch(/^rate limit: +10 rps, burst 20$/m);
    expect(out).toMatch(/^models: +digits$/m);
    expect(out).toMatch(/^max payload: +1\.0 MB \(1048576 bytes\)$/m);
    expect(out).toMatch(/^price on lambda: +USD 0\.40 per 1,000 requests \+ 0\.00005 per compute-second$/m);
    expect(out).toMatch(/^price of digits: +USD 0\.1 per 1,000 requests \+ 0\.00005 per compute-second$/m);
    expect(out).not.toContain('price on sagemaker');
  });

  it('tenant set-plan puts the plan, and tenant create --plan names it', async () => {
    const tenant = {
      tenantId: 't_acme',
      name: 'Acme',
      plan: 'pro',
      planSince: '2026-01-05T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    const moved = await run(['tenant', 'set-plan', 't_acme', 'pro'], { body: tenant });
    const created = await run(['tenant', 'create', 'Acme', '--plan', 'pro'], { status: 201, body: tenant });

    expect(moved.requests[0]?.method).toBe('PUT');
    expect(moved.requests[0]?.url).toBe('/admin/tenants/t_acme/plan');
    expect(jsonBody(moved.requests[0])).toEqual({ plan: 'pro' });
    expect(moved.out).toBe('tenant t_acme (Acme) is on plan pro since 2026-01-05T00:00:00.000Z\n');
    expect(jsonBody(created.requests[0])).toEqual({ name: 'Acme', plan: 'pro' });
  });

  it('tenant plan-changes lists the changes oldest first', async () => {
    const { out, requests } = await run(['tenant', 'plan-changes', 't_acme'], {
      body: {
        tenantId: 't_acme',
        changes: [
          { tenantId: 't_acme', to: 'free', at: '2026-01-01T00:00:00.000Z' },
          { tenantId: 't_acme', from: 'free', to: 'pro', at: '2026-01-05T00:00:00.000Z' },
        ],
      },
    });

    expect(requests[0]?.url).toBe('/admin/tenants/t_acme/plan-changes');
    expect(out.split('\n')).toEqual([
      'AT                        FROM       TO',
      '2026-01-01T00:00:00.000Z  (created)  free',
      '2026-01-05T00:00:00.000Z  free       pro',
      '',
    ]);
  });

  it('reports an unknown plan with its code and exits 1', async () => {
    const { code, err } = await run(['tenant', 'set-plan', 't_acme', 'platinum'], {
      status: 400,
      body: { error: 'Plan "platinum" does not exist', code: 'unknown_plan', requestId: 'r-1' },
    });

    expect(code).toBe(1);
    expect(err).toBe('error: Plan "platinum" does not exist (unknown_plan)\nrequest id: r-1\n');
  });
});
