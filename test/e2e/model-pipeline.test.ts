import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InfergateClient } from '../../client';
import { PIPELINE_STEPS, type PipelineSummary } from '../../cli/commands/model-pipeline';
import { startLocalProcess, type LocalProcess } from '../support/local-process';

const ROOT = path.join(__dirname, '..', '..');

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bin/infergate.js` as a user would, in `cwd`, against the local platform in `home`. */
function infergate(args: readonly string[], cwd: string, home: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'infergate.js'), ...args], {
      cwd,
      env: { ...process.env, INFERGATE_HOME: home, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('infergate model pipeline digits, end to end', () => {
  let home = '';
  let work = '';
  let local: LocalProcess | undefined;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'infergate-pipeline-home-'));
    work = await mkdtemp(path.join(tmpdir(), 'infergate-pipeline-work-'));
    local = await startLocalProcess(home);
  });

  afterAll(async () => {
    await local?.stop('SIGKILL');
    await Promise.all([home, work].map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('trains, exports, quantizes, validates, registers, publishes, infers with the demo key and shows the usage', async () => {
    if (local === undefined) throw new Error('the local platform did not start');
    const { state } = local;

    // Fewer epochs and timing runs than the defaults keep this quick; the path is the same.
    const run = await infergate(
      [
        'model',
        'pipeline',
        'digits',
        '--epochs',
        '4',
        '--samples',
        '6',
        '--runs',
        '5',
        '--warmup',
        '5',
        '--json',
      ],
      work,
      home,
    );

    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    // Progress: one line per step, in order, on standard error (standard output is the JSON).
    const steps = run.stderr.split('\n').filter((line) => /^\[\d\/8\]/.test(line));
    expect(steps.map((line) => line.split(/\s+/)[1])).toEqual([...PIPELINE_STEPS]);
    const summary = JSON.parse(run.stdout) as PipelineSummary;

    // Train and export: a real model, written where the user ran the command.
    expect(summary.train).toMatchObject({ epochs: 4, heldOutRows: 359, out: 'models/build/digits.onnx' });
    expect(summary.train.final.heldOutAccuracy).toBeGreaterThan(0.95);
    expect((await stat(path.join(work, 'models/build/digits.onnx'))).size).toBe(summary.train.bytes);
    expect((await stat(path.join(work, 'models/build/digits.int8.onnx'))).size).toBe(
      summary.quantize.after.bytes,
    );
    // Quantize and validate: int8, a few times smaller, agreeing with fp32 on the held-out rows.
    expect(summary.quantize).toMatchObject({ mode: 'dynamic-int8', data: 'known-model' });
    expect(summary.quantize.sizeRatio).toBeGreaterThan(3);
    expect(summary.validate.passed).toBe(true);
    expect(summary.validate.checks.map((check) => check.check)).toEqual([
      'schema',
      'export',
      'accuracy',
      'agreement',
    ]);

    // Register and publish: fp32 and int8 versions, the int8 compared with the fp32, int8 in prod.
    const { fp32, int8 } = summary.register;
    expect(Number(int8.version)).toBe(Number(fp32.version) + 1);
    expect(int8.agreement?.baselineVersion).toBe(fp32.version);
    expect(int8.artifact.size).toBe(summary.quantize.after.bytes);
    expect(summary.publish.alias).toMatchObject({
      modelName: 'digits',
      alias: 'prod',
      version: int8.version,
    });

    // Infer: through the API with the demo tenant's key from local.json, served by the int8 version.
    expect(summary.infer.key).toBe('local');
    expect(summary.infer.url).toBe(state.url);
    expect(summary.infer.predictions).toHaveLength(6);
    expect(summary.infer.predictions.every((p) => p.version === int8.version)).toBe(true);
    expect(new Set(summary.infer.predictions.map((p) => p.label)).size).toBeGreaterThan(3);
    expect(summary.infer.correct).toBeGreaterThanOrEqual(5);

    // Usage: exactly those six requests, on the int8 version, as the tenant's own report says.
    expect(summary.usage.added).toEqual([
      expect.objectContaining({ version: int8.version, requests: 6, errors: 0 }),
    ]);
    expect(summary.usage.after.requests - summary.usage.before.requests).toBe(6);
    const demo = new InfergateClient({ url: state.url, apiKey: state.demoKey });
    const report = await demo.usage(summary.usage.month);
    const digitsRows = report.rows.filter((row) => row.modelName === 'digits');
    expect(digitsRows.map((row) => [row.version, row.requests])).toEqual([[int8.version, 6]]);

    // The rollout commands work on what the pipeline published: a canary, then rolled back.
    const canary = await infergate(
      ['model', 'promote', 'digits', '--version', fp32.version, '--canary', '10'],
      work,
      home,
    );
    expect(canary.stdout).toBe(
      `digits:prod -> version ${int8.version} (90%), ${fp32.version} (10%) (was ${int8.version})\n`,
    );
    const back = await infergate(['model', 'rollback', 'digits'], work, home);
    expect(back.code).toBe(0);
    const metadata = await demo.modelMetadata('digits');
    expect(metadata.versions).toEqual([int8.version]);
  }, 180_000);
});
