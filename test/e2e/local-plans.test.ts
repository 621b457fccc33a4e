import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InfergateClient } from '../../client';
import { DEFAULT_PLANS } from '../../functions/core/plans/default-plans';
import { startLocalDynamo } from '../../local/services';
import { LOCAL_AWS } from '../support/dynalite';
import { startLocalProcess, type LocalProcess } from '../support/local-process';

/** The table `local/main.ts` keeps its state in. */
const TABLE_NAME = 'infergate';
const DEFAULT_IDS = DEFAULT_PLANS.map((plan) => plan.planId);

/**
 * `npm start` seeds the default plans and puts the demo tenant on `pro`; state kept from a
 * version without plans gets the default plans on its next start.
 */
describe('npm start and plans', () => {
  let home: string;
  let running: LocalProcess | undefined;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'infergate-plans-'));
  });

  afterAll(async () => {
    await running?.stop('SIGINT');
    await rm(home, { recursive: true, force: true });
  });

  it('seeds the default plans, and adds them again to state that lacks them', async () => {
    running = await startLocalProcess(home);
    const first = running.state;
    const admin = new InfergateClient({ url: first.url, apiKey: first.adminKey });
    const { plans } = await admin.listPlans();
    const { tenants } = await admin.listTenants();
    expect(plans.map((plan) => plan.planId).sort()).toEqual([...DEFAULT_IDS].sort());
    expect(tenants.find((tenant) => tenant.name === 'demo')?.plan).toBe('pro');
    await running.stop('SIGINT');

    // State as a version without plans left it: the same table, no plan items.
    const dynamo = await startLocalDynamo({ dir: path.join(home, 'dynamodb') });
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
    const documents = DynamoDBDocumentClient.from(client);
    for (const planId of DEFAULT_IDS) {
      await documents.send(
        new DeleteCommand({ TableName: TABLE_NAME, Key: { pk: `PLAN#${planId}`, sk: 'PLAN' } }),
      );
    }
    client.destroy();
    await dynamo.close();

    running = await startLocalProcess(home);
    const again = new InfergateClient({ url: running.state.url, apiKey: running.state.adminKey });

    expect(running.output()).toContain(`added the default plans ${DEFAULT_IDS.join(', ')}`);
    expect((await again.listPlans()).plans.map((plan) => plan.planId).sort()).toEqual(
      [...DEFAULT_IDS].sort(),
    );
    await expect(again.getPlan('pro')).resolves.toMatchObject({ monthlyQuota: 1_000_000 });
  }, 180_000);
});
