import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InfergateApiError, InfergateClient } from '../../client';
import { fixtureModel } from '../support/fixtures';
import { startLocalProcess, type LocalProcess } from '../support/local-process';
import { KEY_PATTERN } from './support/secret-watch';

/** Every log level on, so that the output scanned for keys holds everything. */
const DEBUG = { POWERTOOLS_LOG_LEVEL: 'DEBUG' };

/**
 * The local platform killed with SIGKILL in the middle of traffic, then started again on the
 * same state folder: everything registered is still there, and no acknowledged request's
 * usage is lost.
 *
 * Why `acknowledged <= metered <= acknowledged + in flight`: the data plane writes a
 * request's usage (one atomic UpdateItem, awaited) before it writes the response, so every
 * 200 the client saw was metered first (the lower bound). A request still in flight when the
 * process died may have been metered and never answered, or not metered at all (the upper
 * bound). Requests not yet sent cannot count: the loops stop sending before the kill.
 */
describe('SIGKILL mid-traffic and restart', () => {
  let home: string;
  let running: LocalProcess | undefined;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'infergate-crash-'));
  });

  afterAll(async () => {
    await running?.stop('SIGKILL');
    await rm(home, { recursive: true, force: true });
  });

  it('keeps every registered thing and the usage of every acknowledged request', async () => {
    running = await startLocalProcess(home, DEBUG);
    const firstRun = running;
    const local = firstRun.state;
    const admin = new InfergateClient({ url: local.url, apiKey: local.adminKey });
    // 8 loops of traffic: within `enterprise`'s rate limit (`free` would refuse most of it).
    const tenant = await admin.createTenant({ name: 'crash', plan: 'enterprise' });
    const other = await admin.createTenant({ name: 'bystander' });
    const key = await admin.createKey({ tenantId: tenant.tenantId, name: 'traffic' });
    const revoked = await admin.createKey({ tenantId: other.tenantId });
    await admin.revokeKey(revoked.keyId);
    await admin.registerModel('crash-add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'private',
      ownerTenantId: tenant.tenantId,
    });
    await admin.registerModel('crash-add-mul', fixtureModel('add-mul.onnx'), {
      visibility: 'private',
      ownerTenantId: tenant.tenantId,
    });
    await admin.setAlias('crash-add-mul', 'prod', '2');
    await admin.setAlias('crash-add-mul', 'staging', '1');
    const registered = async (client: InfergateClient) => ({
      tenants: (await client.listTenants()).tenants,
      keys: (await client.listKeys(tenant.tenantId)).keys,
      otherKeys: (await client.listKeys(other.tenantId)).keys,
      models: (await client.listModels()).models,
      model: await client.getModel('crash-add-mul'),
    });
    const before = await registered(admin);

    // Traffic: 8 loops, each with at most one request in flight.
    const body = JSON.stringify({
      inputs: [
        { name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
        { name: 'b', shape: [1, 3], datatype: 'FP32', data: [4, 5, 6] },
      ],
    });
    let stopping = false;
    let inFlight = 0;
    let acknowledged = 0;
    const unexpected: string[] = [];
    const loop = async (): Promise<void> => {
      while (!stopping) {
        inFlight++;
        try {
          const response = await fetch(`${local.url}/v2/models/crash-add-mul/infer`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
            body,
          });
          await response.text();
          if (response.status === 200) acknowledged++;
          else unexpected.push(String(response.status));
        } catch {
          // The process died under this request: it is one of the in-flight ones.
        } finally {
          inFlight--;
        }
      }
    };
    const loops = Array.from({ length: 8 }, () => loop());
    const trafficDeadline = Date.now() + 30_000;
    while (acknowledged < 150 && Date.now() < trafficDeadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    stopping = true;
    const inFlightAtKill = inFlight;
    const acknowledgedAtKill = acknowledged;
    firstRun.child.kill('SIGKILL');
    await Promise.all(loops);
    await firstRun.exited();
    // Responses already on the socket when the process died still count once read.
    const acked = acknowledged;

    running = await startLocalProcess(home, DEBUG);
    const restarted = running.state;
    const adminAgain = new InfergateClient({ url: restarted.url, apiKey: local.adminKey });
    const after = await registered(adminAgain);
    const tenantClient = new InfergateClient({ url: restarted.url, apiKey: key.key });
    const usage = await tenantClient.usage();
    const metadata = await tenantClient.modelMetadata('crash-add-mul');
    const staging = await tenantClient.modelMetadata('crash-add-mul', 'staging');
    const revokedStatus = await new InfergateClient({ url: restarted.url, apiKey: revoked.key }).usage().then(
      () => 200,
      (error: unknown) => (error instanceof InfergateApiError ? error.status : 0),
    );

    expect(unexpected).toEqual([]);
    expect(firstRun.child.signalCode).toBe('SIGKILL');
    expect(acknowledgedAtKill).toBeGreaterThanOrEqual(150);
    expect(inFlightAtKill).toBeLessThanOrEqual(8);
    expect(after).toEqual(before);
    expect(metadata.versions).toEqual(['2']);
    expect(staging.versions).toEqual(['1']);
    expect(revokedStatus).toBe(401);
    expect(usage.totals.errors).toBe(0);
    expect(usage.totals.requests).toBeGreaterThanOrEqual(acked);
    expect(usage.totals.requests).toBeLessThanOrEqual(acked + inFlightAtKill);
    // Keys created through the API never reach the output; the first start's banner shows
    // the seeded admin and demo keys once, by design, and the restart shows none.
    const keyLines = (output: string) =>
      output.split('\n').filter((line) => new RegExp(KEY_PATTERN.source).test(line));
    expect(keyLines(firstRun.output()).map((line) => line.trim().split(':')[0])).toEqual([
      'admin key',
      'demo key',
    ]);
    expect(keyLines(running.output())).toEqual([]);
    expect(firstRun.output()).toMatch(/"message":"request"/);
  }, 180_000);
});
