import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/main';
import type { CliIo } from '../../../cli/io';
import type { Alias, AliasTarget } from '../../../client';
import { fixtureModel } from '../../support/fixtures';
import { startTestPlatform, type TestPlatform } from '../../support/platform';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `infergate model promote | rollback | show` against the real platform over HTTP. */
describe('infergate model promote and rollback', () => {
  let platform: TestPlatform;
  let cwd: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    cwd = await mkdtemp(join(tmpdir(), 'infergate-rollout-cli-'));
    for (let i = 0; i < 3; i++) {
      await platform.admin.registerModel('cli-add-mul', fixtureModel('add-mul.onnx'), {
        visibility: 'public',
      });
    }
  });

  afterAll(async () => {
    await platform.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      out: (text) => {
        stdout += text;
      },
      err: (text) => {
        stderr += text;
      },
      env: {},
      cwd,
      now: () => new Date(),
    };
    const code = await runCli([...args, '--url', platform.url, '--admin-key', platform.adminKey], io);
    return { code, stdout, stderr };
  }

  async function prod(): Promise<Alias | undefined> {
    return (await platform.admin.getModel('cli-add-mul')).aliases.find((alias) => alias.alias === 'prod');
  }

  it('promotes a version, starts a canary that keeps the current version, completes it and rolls back', async () => {
    const first = await cli('model', 'promote', 'cli-add-mul', '--version', '1');
    expect(first).toEqual({ code: 0, stdout: 'cli-add-mul:prod -> version 1\n', stderr: '' });

    const canary = await cli('model', 'promote', 'cli-add-mul', '--version', '2', '--canary', '10', '--json');
    expect(canary.code).toBe(0);
    const printed = JSON.parse(canary.stdout) as { alias: Alias; previous: AliasTarget };
    expect(printed.previous).toEqual({ version: '1' });
    expect(printed.alias).toMatchObject({
      version: '1',
      routes: [
        { version: '1', weight: 90 },
        { version: '2', weight: 10 },
      ],
    });
    expect(await prod()).toEqual(printed.alias);

    const show = await cli('model', 'show', 'cli-add-mul');
    expect(show.stdout).toMatch(/^aliases: +prod -> 1 \(90%\), 2 \(10%\); rollback to 1$/m);

    const full = await cli('model', 'promote', 'cli-add-mul', '--version', '2');
    expect(full.stdout).toBe('cli-add-mul:prod -> version 2 (was 1 (90%), 2 (10%))\n');

    const back = await cli('model', 'rollback', 'cli-add-mul');
    expect(back).toEqual({
      code: 0,
      stdout:
        'cli-add-mul:prod rolled back to version 1 (90%), 2 (10%) (was 2); 1 earlier target left to roll back to\n',
      stderr: '',
    });
    await cli('model', 'rollback', 'cli-add-mul', '--alias', 'prod');
    expect(await prod()).toMatchObject({ version: '1', history: [] });

    const none = await cli('model', 'rollback', 'cli-add-mul');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/has no earlier target to roll back to \(nothing_to_roll_back\)/);
  });

  it("promotes staging's target to prod, as a canary or whole", async () => {
    await platform.admin.setAlias('cli-add-mul', 'prod', '1');
    await platform.admin.setAlias('cli-add-mul', 'staging', '3');

    const canary = await cli(
      'model',
      'promote',
      'cli-add-mul',
      '--from',
      'staging',
      '--to',
      'prod',
      '--canary',
      '25',
    );
    expect(canary.stdout).toBe('cli-add-mul:prod -> version 1 (75%), 3 (25%) (was 1)\n');

    const whole = await cli('model', 'promote', 'cli-add-mul', '--from', 'staging', '--to', 'prod');
    expect(whole.code).toBe(0);
    expect(await prod()).toMatchObject({ version: '3' });
    expect((await prod())?.routes).toBeUndefined();
  });

  it('refuses canaries that have nothing to keep or nothing to add', async () => {
    await platform.admin.registerModel('cli-fresh', fixtureModel('add-mul.onnx'), { visibility: 'public' });

    const fresh = await cli('model', 'promote', 'cli-fresh', '--version', '1', '--canary', '10');
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toMatch(
      /cli-fresh:prod does not exist yet.*promote without --canary first \(nothing_to_keep\)/,
    );

    await platform.admin.setAlias('cli-add-mul', 'prod', '2');
    const same = await cli('model', 'promote', 'cli-add-mul', '--version', '2', '--canary', '10');
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(
      /version 2 is already the main version of cli-add-mul:prod \(invalid_canary\)/,
    );

    const missing = await cli('model', 'promote', 'cli-add-mul', '--from', 'nightly');
    expect(missing.stderr).toMatch(/has no alias "nightly" to promote from \(alias_not_found\)/);

    const unknown = await cli('model', 'promote', 'cli-add-mul', '--version', '9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/\(version_not_found\)/);
  });

  it('reports command-line mistakes as usage errors (exit 2) before calling the platform', async () => {
    const nothing = await cli('model', 'promote', 'cli-add-mul');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('say what to promote: --version <n>, or --from <alias>');

    for (const args of [
      ['--version', '2', '--canary', '0'],
      ['--version', '2', '--canary', '100'],
      ['--version', '2', '--from', 'staging'],
      ['--version', '2', '--alias', 'prod', '--to', 'staging'],
      ['--from', 'prod'],
    ]) {
      const run = await cli('model', 'promote', 'cli-add-mul', ...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
    }
  });
});
