import { S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InfergateClient } from '../../client';
import { S3UsageSpill } from '../../functions/adapters/s3';
import { startLocalArtifactStore } from '../../local/services';
import { LOCAL_S3 } from '../support/s3rver';
import { startLocalProcess, type LocalProcess } from '../support/local-process';

/**
 * The local platform stands in for the replay function's schedule: usage spilled before the
 * process died is applied when `npm start` comes back, before it reports ready, and only once.
 * The spill is written while the platform is down, through its own artifact store folder.
 */
describe('npm start replays spilled usage', () => {
  let home: string;
  let running: LocalProcess | undefined;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'infergate-spill-'));
  });

  afterAll(async () => {
    await running?.stop('SIGKILL');
    await rm(home, { recursive: true, force: true });
  });

  it('applies usage spilled before a crash at the next start, exactly once', async () => {
    running = await startLocalProcess(home);
    const admin = new InfergateClient({ url: running.state.url, apiKey: running.state.adminKey });
    const { tenantId, plan } = await admin.createTenant({ name: 'spilled' });
    const key = await admin.createKey({ tenantId });
    await running.stop('SIGKILL');
    running = undefined;

    // While the platform is down: a spilled write, as a data plane that could not reach the table leaves it.
    const store = await startLocalArtifactStore({
      dir: path.join(home, 'artifacts'),
      bucket: 'infergate-artifacts',
    });
    const client = new S3Client({ ...LOCAL_S3, endpoint: store.endpoint });
    try {
      await new S3UsageSpill({ bucket: 'infergate-artifacts', client }).put({
        writer: '0123456789ab.0',
        sequence: 1,
        event: {
          tenantId,
          keyId: key.keyId,
          modelName: 'text-direction',
          version: '1',
          plan,
          at: new Date(),
          error: false,
          computeMs: 12.5,
          inputBytes: 110_601,
          outputBytes: 150,
        },
      });
    } finally {
      client.destroy();
      await store.close();
    }

    running = await startLocalProcess(home);
    const first = await new InfergateClient({ url: running.state.url, apiKey: key.key }).usage();
    await running.stop('SIGINT');
    running = await startLocalProcess(home);
    const second = await new InfergateClient({ url: running.state.url, apiKey: key.key }).usage();

    expect(first.totals).toMatchObject({ requests: 1, errors: 0, inputBytes: 110_601, outputBytes: 150 });
    expect(second.totals).toEqual(first.totals);
  });
});
