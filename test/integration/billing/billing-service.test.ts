import {
  createDocumentClient,
  DynamoRegistryStore,
  DynamoUsageStore,
} from '../../../functions/adapters/dynamodb';
import { BillingService } from '../../../functions/core/billing/billing-service';
import type { UsageEvent } from '../../../functions/core/metering/types';
import type { Plan, Tier } from '../../../functions/core/registry/types';
import { type LocalDynamo, startDynalite } from '../../support/dynalite';

/**
 * BillingService on the real stores (dynalite): plans, versions and tenants read from the
 * registry, rows from the usage counters, and the plans that exist without being stored.
 */
describe('BillingService on DynamoDB', () => {
  let dynamo: LocalDynamo;
  let registry: DynamoRegistryStore;
  let usage: DynamoUsageStore;
  const NOW = new Date('2026-11-20T10:00:00.000Z');
  const AT = '2026-10-01T00:00:00.000Z';

  const TEAM: Plan = {
    planId: 'team',
    allowedTiers: ['lambda', 'sagemaker'],
    maxPayloadBytes: 1024,
    currency: 'EUR',
    prices: {
      tiers: {
        lambda: { perThousandRequests: '1.10', perComputeSecond: '0.01' },
        sagemaker: { perThousandRequests: '5', perComputeSecond: '0.5' },
      },
    },
    createdAt: AT,
    updatedAt: AT,
  };

  async function version(modelName: string, tier: Tier): Promise<void> {
    await registry.createVersion({
      modelName,
      version: '1',
      tier,
      artifact: { sha256: 'a'.repeat(64), size: 1, key: `artifacts/sha256/${'a'.repeat(64)}.onnx` },
      inputs: [],
      outputs: [],
      createdAt: AT,
    });
  }

  async function record(
    tenantId: string,
    modelName: string,
    plan: string,
    count: number,
    extra: Partial<UsageEvent> = {},
  ): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      await usage.record({
        tenantId,
        keyId: '0000000000000001',
        modelName,
        version: '1',
        plan,
        at: new Date('2026-11-12T08:00:00.000Z'),
        error: false,
        computeMs: 250,
        inputBytes: 10,
        outputBytes: 10,
        ...extra,
      });
    }
  }

  beforeAll(async () => {
    dynamo = await startDynalite();
    const client = createDocumentClient({ client: dynamo.client });
    registry = new DynamoRegistryStore({ tableName: dynamo.tableName, client });
    usage = new DynamoUsageStore({ tableName: dynamo.tableName, client });
    await registry.createPlan(TEAM);
    await registry.createTenant({ tenantId: 't_team', name: 'Team GmbH', plan: 'team', createdAt: AT });
    await registry.createTenant({ tenantId: 't_pro', name: 'Pro Inc', plan: 'pro', createdAt: AT });
    await version('small', 'lambda');
    await version('gpu', 'sagemaker');
    await record('t_team', 'small', 'team', 4);
    await record('t_team', 'gpu', 'team', 2, { computeMs: 1500 });
    await record('t_team', 'small', 'team', 1, { error: true });
    // `pro` is a default plan this table never stored: priced as the data plane serves it.
    await record('t_pro', 'small', 'pro', 3);
    // The operator's own smoke tests.
    await record('operator', 'small', 'operator', 2);
  });

  afterAll(async () => {
    await dynamo.stop();
  });

  const service = () => new BillingService({ registry, usage, now: () => NOW });

  it('prices each line by its stored plan and the tier of its version', async () => {
    const report = await service().report('2026-11', 't_team');

    expect(report).toMatchObject({ month: '2026-11', final: false, tenantId: 't_team' });
    expect(report.tenants).toHaveLength(1);
    expect(report.tenants[0]?.tenantName).toBe('Team GmbH');
    expect(report.tenants[0]?.lines).toEqual([
      expect.objectContaining({
        modelName: 'gpu',
        tier: 'sagemaker',
        currency: 'EUR',
        requests: 2,
        computeSeconds: '3.000',
        requestsAmount: '0.01', // 2 × 5 / 1000
        computeAmount: '1.50', // 3 s × 0.5
        amount: '1.51',
      }),
      expect.objectContaining({
        modelName: 'small',
        tier: 'lambda',
        requests: 4,
        errors: 1,
        computeSeconds: '1.250', // failed requests' compute is metered too
        requestsAmount: '0.00', // 4 × 1.10 / 1000 = 0.0044
        computeAmount: '0.01', // 1.25 × 0.01 = 0.0125
        amount: '0.01',
      }),
    ]);
    expect(report.tenants[0]?.totals).toEqual([
      expect.objectContaining({ currency: 'EUR', requests: 6, errors: 1, amount: '1.52' }),
    ]);
  });

  it('prices a default plan missing from the table, and the operator plan at zero', async () => {
    const report = await service().report('2026-11');

    expect(report.tenants.map((bill) => [bill.tenantId, bill.tenantName])).toEqual([
      ['operator', undefined],
      ['t_pro', 'Pro Inc'],
      ['t_team', 'Team GmbH'],
    ]);
    expect(report.tenants[0]?.lines[0]).toMatchObject({ plan: 'operator', requests: 2, amount: '0.00' });
    expect(report.tenants[1]?.lines[0]).toMatchObject({
      plan: 'pro',
      currency: 'USD',
      pricePerThousandRequests: '0.40',
      requests: 3,
    });
    expect(report.totals.map((total) => total.currency)).toEqual(['EUR', 'USD']);
  });

  it('gives a tenant its own charges from its rows', async () => {
    const rows = await usage.listTenantMonth('t_team', '2026-11');

    const charges = await service().charges('t_team', '2026-11', rows);

    expect(charges.final).toBe(false);
    expect(charges.lines.map((line) => line.tenantId)).toEqual(['t_team', 't_team']);
    expect(charges.totals).toEqual((await service().report('2026-11', 't_team')).tenants[0]?.totals);
  });

  it('answers 404 for a tenant that does not exist', async () => {
    await expect(service().report('2026-11', 't_nobody')).rejects.toMatchObject({
      status: 404,
      code: 'tenant_not_found',
    });
  });

  it('refuses to price usage under a plan that no longer exists', async () => {
    await registry.createTenant({ tenantId: 't_gone', name: 'Gone', plan: 'team', createdAt: AT });
    await record('t_gone', 'small', 'legacy-2019', 1, { at: new Date('2026-12-02T00:00:00.000Z') });

    await expect(service().report('2026-12')).rejects.toMatchObject({
      status: 500,
      code: 'unpriced_usage',
      message: expect.stringContaining('plan "legacy-2019"'),
    });
    expect((await service().report('2026-11')).tenants).toHaveLength(3);
  });
});
