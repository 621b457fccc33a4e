import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../../cli/errors';
import { resolveTarget } from '../../../cli/target';

const LOCAL = { url: 'http://127.0.0.1:8787', adminKey: 'local-admin', demoKey: 'demo', demoModel: 'iris' };

describe('resolveTarget', () => {
  let cwd = '';
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'infergate-target-'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  async function writeLocal(dir: string, content: unknown): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'local.json'), typeof content === 'string' ? content : JSON.stringify(content));
  }

  it('prefers flags to the environment and the local file', async () => {
    await writeLocal(join(cwd, '.infergate'), LOCAL);
    const env = { INFERGATE_URL: 'https://env.example.com', INFERGATE_ADMIN_KEY: 'env-key' };

    const target = await resolveTarget({ url: 'https://flag.example.com', adminKey: 'flag-key' }, env, cwd);

    expect(target).toEqual({ url: 'https://flag.example.com', adminKey: 'flag-key', urlSource: 'flag' });
  });

  it('prefers the environment to the local file', async () => {
    await writeLocal(join(cwd, '.infergate'), LOCAL);
    const env = { INFERGATE_URL: 'https://env.example.com', INFERGATE_ADMIN_KEY: 'env-key' };

    await expect(resolveTarget({}, env, cwd)).resolves.toEqual({
      url: 'https://env.example.com',
      adminKey: 'env-key',
      urlSource: 'env',
    });
  });

  it('falls back to ./.infergate/local.json', async () => {
    await writeLocal(join(cwd, '.infergate'), LOCAL);

    await expect(resolveTarget({}, {}, cwd)).resolves.toEqual({
      url: LOCAL.url,
      adminKey: 'local-admin',
      urlSource: 'local',
    });
  });

  it('reads local.json from $INFERGATE_HOME instead of the working directory', async () => {
    await writeLocal(join(cwd, '.infergate'), LOCAL);
    const home = join(cwd, 'home');
    await writeLocal(home, { ...LOCAL, url: 'http://127.0.0.1:9999', adminKey: 'home-admin' });

    const target = await resolveTarget({}, { INFERGATE_HOME: home }, cwd);

    expect(target).toMatchObject({ url: 'http://127.0.0.1:9999', adminKey: 'home-admin' });
  });

  it('uses an explicit key with the local URL', async () => {
    await writeLocal(join(cwd, '.infergate'), LOCAL);

    await expect(resolveTarget({ adminKey: 'other-admin' }, {}, cwd)).resolves.toMatchObject({
      url: LOCAL.url,
      adminKey: 'other-admin',
    });
  });

  it('uses the local key with an explicit URL only when it is the local URL', async () => {
    await writeLocal(join(cwd, '.infergate'), LOCAL);

    await expect(resolveTarget({ url: `${LOCAL.url}/` }, {}, cwd)).resolves.toMatchObject({
      adminKey: 'local-admin',
    });
    await expect(resolveTarget({ url: 'https://prod.example.com' }, {}, cwd)).rejects.toMatchObject({
      code: 'no_admin_key',
      message: expect.stringContaining('--admin-key'),
    });
  });

  it('tells the user to start the local platform when there is nothing to talk to', async () => {
    const error: unknown = await resolveTarget({}, { INFERGATE_URL: ' ' }, cwd).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ code: 'no_target' });
    expect(String(error)).toMatch(/npm start.*--url/);
  });

  it('names a broken local file and what is wrong with it', async () => {
    await writeLocal(join(cwd, '.infergate'), { url: 'not a url' });

    await expect(resolveTarget({}, {}, cwd)).rejects.toMatchObject({
      code: 'invalid_local_config',
      message: expect.stringMatching(/local\.json.*url.*adminKey/),
    });
  });
});
