import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import packageJson from '../../../package.json';
import { runCli } from '../../../cli/main';
import type { CliIo } from '../../../cli/io';
import {
  parseCanaryPercent,
  promotionRequest,
  subcommandVersionArgs,
} from '../../../cli/commands/model-promote';
import { usageAdded, validationChecks } from '../../../cli/commands/model-pipeline';
import { resolveTenantKey } from '../../../cli/tenant-key';
import type { Alias, UsageReport, UsageRow } from '../../../client';
import { fixtureModel } from '../../support/fixtures';

const names = { model: 'digits', alias: 'prod' };
const prod: Alias = {
  modelName: 'digits',
  alias: 'prod',
  version: '3',
  updatedAt: '2026-01-01T00:00:00.000Z',
  revision: 4,
};

describe('rollout commands, pure parts', () => {
  it('hands --version <n> after a command word to the subcommand, and leaves infergate --version alone', () => {
    expect(subcommandVersionArgs(['model', 'promote', 'digits', '--version', '4', '--canary', '10'])).toEqual(
      ['model', 'promote', 'digits', '--version=4', '--canary', '10'],
    );
    expect(subcommandVersionArgs(['--version'])).toEqual(['--version']);
    expect(subcommandVersionArgs(['model', 'list', '--version'])).toEqual(['model', 'list', '--version']);
    expect(subcommandVersionArgs(['model', 'promote', '--', '--version', '4'])).toEqual([
      'model',
      'promote',
      '--',
      '--version',
      '4',
    ]);
  });

  it('still prints the CLI version for infergate --version', async () => {
    let out = '';
    const io: CliIo = {
      out: (text) => (out += text),
      err: () => undefined,
      env: {},
      cwd: tmpdir(),
      now: () => new Date(),
    };

    await expect(runCli(['--version'], io)).resolves.toBe(0);

    expect(out).toBe(`${packageJson.version}\n`);
  });

  it('takes canary percents from 1 to 99, with or without %', () => {
    expect(parseCanaryPercent('10')).toBe(10);
    expect(parseCanaryPercent('1%')).toBe(1);
    for (const bad of ['0', '100', '-5', '10.5', 'ten', '']) {
      expect(() => parseCanaryPercent(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('builds the alias change: whole, canary keeping the current main version, guarded by the revision read', () => {
    expect(promotionRequest({ version: '5' }, prod, undefined, names)).toEqual({
      version: '5',
      expectedRevision: 4,
    });
    expect(promotionRequest({ version: '5' }, undefined, undefined, names)).toEqual({
      version: '5',
      expectedRevision: 0,
    });
    expect(promotionRequest({ version: '5' }, prod, 10, names)).toEqual({
      routes: [
        { version: '3', weight: 90 },
        { version: '5', weight: 10 },
      ],
      expectedRevision: 4,
    });
    const staging = {
      version: '5',
      routes: [
        { version: '5', weight: 50 },
        { version: '6', weight: 50 },
      ],
    };
    expect(promotionRequest(staging, prod, undefined, names)).toEqual({
      routes: staging.routes,
      expectedRevision: 4,
    });
    expect(() => promotionRequest(staging, prod, 10, names)).toThrow(/a canary takes one version/);
    expect(() => promotionRequest({ version: '3' }, prod, 10, names)).toThrow(/already the main version/);
    expect(() => promotionRequest({ version: '5' }, undefined, 10, names)).toThrow(/does not exist yet/);
  });

  it('computes the usage a run added, per version of the model only', () => {
    const row = (version: string, requests: number, model = 'digits'): UsageRow => ({
      tenantId: 't_demo',
      day: '2026-01-01',
      modelName: model,
      version,
      plan: 'free',
      requests,
      errors: 0,
      computeMs: requests * 0.5,
      inputBytes: requests * 100,
      outputBytes: requests * 10,
    });
    const report = (rows: UsageRow[]): UsageReport => ({
      month: '2026-01',
      tenantId: 't_demo',
      rows,
      totals: { requests: 0, errors: 0, computeMs: 0, inputBytes: 0, outputBytes: 0 },
    });

    const added = usageAdded(
      report([row('1', 5), row('2', 3), row('1', 9, 'other')]),
      report([row('1', 5), row('2', 11), row('3', 2), row('1', 20, 'other')]),
      'digits',
    );

    expect(added).toEqual([
      { version: '2', requests: 8, errors: 0, computeMs: 4, inputBytes: 800, outputBytes: 80 },
      { version: '3', requests: 2, errors: 0, computeMs: 1, inputBytes: 200, outputBytes: 20 },
    ]);
  });
});

describe('resolveTenantKey', () => {
  let home = '';
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'infergate-tenant-key-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  async function writeLocal(url: string): Promise<void> {
    await mkdir(home, { recursive: true });
    await writeFile(
      join(home, 'local.json'),
      JSON.stringify({ url, adminKey: 'igk_admin', demoKey: 'igk_demo', demoModel: 'text-direction' }),
    );
  }

  it('takes --key first, else the demo key of the local platform it talks to', async () => {
    await writeLocal('http://127.0.0.1:8080');
    const io = { env: { INFERGATE_HOME: home }, cwd: home };

    await expect(resolveTenantKey(' igk_given ', 'http://127.0.0.1:8080', io)).resolves.toEqual({
      key: 'igk_given',
      source: 'flag',
    });
    await expect(resolveTenantKey(undefined, 'http://127.0.0.1:8080/', io)).resolves.toEqual({
      key: 'igk_demo',
      source: 'local',
    });
  });

  it('never sends the local demo key to another platform', async () => {
    await writeLocal('http://127.0.0.1:8080');

    await expect(
      resolveTenantKey(undefined, 'https://api.example.com', { env: { INFERGATE_HOME: home }, cwd: home }),
    ).rejects.toMatchObject({ code: 'no_tenant_key', message: expect.stringContaining('pass --key') });
  });
});

describe('the validate step of model pipeline', () => {
  const addMul = readFileSync(fixtureModel('add-mul.onnx'));
  const scalar = readFileSync(fixtureModel('scalar.onnx'));
  const limits = { maxAccuracyDrop: 0.01, minAgreement: 0.99 };
  const train = {
    heldOutRows: 359,
    onnx: { heldOutAccuracy: 0.99, typescriptHeldOutAccuracy: 0.99, disagreements: 0, maxAbsDiff: 1e-7 },
  };
  const agreement = {
    output: 'probabilities',
    rows: 359,
    topOneAgreement: 1,
    maxAbsDiff: 0.01,
    largestDisagreementMargin: 0,
    referenceAccuracy: 0.99,
    candidateAccuracy: 0.985,
  };
  const failedChecks = (...args: Parameters<typeof validationChecks>) =>
    validationChecks(...args)
      .filter((check) => !check.passed)
      .map((check) => check.check);

  it('passes a model whose int8 form keeps its tensors, accuracy and answers', () => {
    expect(failedChecks(addMul, addMul, { train, quantize: { agreement } }, limits)).toEqual([]);
  });

  it('fails on other tensors, a lossy export, an accuracy drop or disagreement, naming each', () => {
    expect(failedChecks(addMul, scalar, { train, quantize: { agreement } }, limits)).toEqual(['schema']);
    expect(
      failedChecks(
        addMul,
        addMul,
        { train: { ...train, onnx: { ...train.onnx, disagreements: 2 } }, quantize: { agreement } },
        limits,
      ),
    ).toEqual(['export']);
    expect(
      failedChecks(
        addMul,
        addMul,
        { train, quantize: { agreement: { ...agreement, candidateAccuracy: 0.97 } } },
        limits,
      ),
    ).toEqual(['accuracy']);
    expect(
      failedChecks(
        addMul,
        addMul,
        { train, quantize: { agreement: { ...agreement, topOneAgreement: 0.98 } } },
        limits,
      ),
    ).toEqual(['agreement']);
    expect(failedChecks(addMul, addMul, { train, quantize: { agreement: undefined } }, limits)).toEqual([
      'accuracy',
    ]);
  });
});

describe('model pipeline before any work', () => {
  it('stops at once, before training, without a tenant key or a reachable platform', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'infergate-pipeline-early-'));
    try {
      let err = '';
      const io: CliIo = {
        out: () => undefined,
        err: (text) => (err += text),
        env: {},
        cwd,
        now: () => new Date(),
      };
      const target = ['--url', 'http://127.0.0.1:9', '--admin-key', 'igk_0123456789abcdef_x'];

      await expect(runCli(['model', 'pipeline', 'digits', ...target], io)).resolves.toBe(1);
      expect(err).toMatch(/no tenant key for http:\/\/127\.0\.0\.1:9: pass --key .*\(no_tenant_key\)/);

      err = '';
      await expect(
        runCli(['model', 'pipeline', 'digits', '--key', 'igk_tenant', ...target], io),
      ).resolves.toBe(1);
      expect(err).toMatch(/\(network_error\)/);
      expect(err).not.toMatch(/epoch/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
