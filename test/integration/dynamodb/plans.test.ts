import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { createDocumentClient } from '../../../functions/adapters/dynamodb/client';
import { createTable } from '../../../functions/adapters/dynamodb/create-table';
import { DynamoRegistryStore } from '../../../functions/adapters/dynamodb/registry-store';
import { ConflictError, NotFoundError, UnavailableError } from '../../../functions/core/errors';
import type { Plan, Tenant } from '../../../functions/core/registry/types';
import { type LocalDynamo, startDynalite } from '../../support/dynalite';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

const CREATED = '2024-05-01T10:00:00.000Z';

/** A store on a table of its own, so that listings see only what the test wrote. */
async function freshStore(pageSize?: number): Promise<{ store: DynamoRegistryStore; tableName: string }> {
  const tableName = `plans-${randomBytes(4).toString('hex')}`;
  await createTable(dynamo.client, tableName);
  const client = createDocumentClient({ client: dynamo.client });
  return { store: new DynamoRegistryStore({ tableName, client, pageSize }), tableName };
}

function plan(planId: string, extra: Partial<Plan> = {}): Plan {
  return {
    planId,
    allowedTiers: ['lambda'],
    maxPayloadBytes: 1024,
    currency: 'USD',
    prices: {
      tiers: {
        lambda: { perThousandRequests: '0.40', perComputeSecond: '0.000050' },
        sagemaker: { perThousandRequests: '0', perComputeSecond: '0' },
      },
    },
    createdAt: CREATED,
    updatedAt: CREATED,
    ...extra,
  };
}

/** Every optional field set. */
const FULL: Plan = plan('full', {
  description: 'everything',
  monthlyQuota: 1_000_000,
  rateLimit: { requestsPerSecond: 0.5, burst: 3 },
  allowedTiers: ['lambda', 'sagemaker'],
  allowedModels: ['digits', 'text-direction'],
  maxPayloadBytes: 6 * 1024 * 1024,
  currency: 'EUR',
  prices: {
    tiers: {
      lambda: { perThousandRequests: '0.40', perComputeSecond: '0.000050' },
      sagemaker: { perThousandRequests: '1.25', perComputeSecond: '0.0006' },
    },
    models: { digits: { perThousandRequests: '0.1', perComputeSecond: '0.000001' } },
  },
});

function tenant(tenantId: string, planId = 'free'): Tenant {
  return { tenantId, name: `Tenant ${tenantId}`, plan: planId, planSince: CREATED, createdAt: CREATED };
}

const at = (minute: number) => `2024-05-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe('plans', () => {
  test('a created plan reads back as the same object, with or without the optional fields', async () => {
    const { store } = await freshStore();

    await store.createPlan(FULL);
    await store.createPlan(plan('bare'));

    await expect(store.getPlan('full')).resolves.toStrictEqual(FULL);
    await expect(store.getPlan('bare')).resolves.toStrictEqual(plan('bare'));
    await expect(store.getPlan('missing')).resolves.toBeUndefined();
  });

  test('prices are stored as strings, never as numbers, under the plan keys', async () => {
    const { store, tableName } = await freshStore();
    await store.createPlan(FULL);

    const { Item } = await createDocumentClient({ client: dynamo.client }).send(
      new GetCommand({ TableName: tableName, Key: { pk: 'PLAN#full', sk: 'PLAN' } }),
    );

    expect(Item).toMatchObject({ entity: 'PLAN', gsi1pk: 'PLANS', gsi1sk: 'full' });
    expect(Item?.prices).toEqual({
      tiers: {
        lambda: { perThousandRequests: '0.40', perComputeSecond: '0.000050' },
        sagemaker: { perThousandRequests: '1.25', perComputeSecond: '0.0006' },
      },
      models: { digits: { perThousandRequests: '0.1', perComputeSecond: '0.000001' } },
    });
  });

  test('creating an existing plan is a conflict and keeps the first', async () => {
    const { store } = await freshStore();
    await store.createPlan(plan('team'));

    const second = store.createPlan(plan('team', { monthlyQuota: 5 }));

    await expect(second).rejects.toBeInstanceOf(ConflictError);
    await expect(second).rejects.toMatchObject({ status: 409, code: 'plan_exists' });
    await expect(store.getPlan('team')).resolves.toStrictEqual(plan('team'));
  });

  test('listing reads the listing index page by page, in id order, and only plans', async () => {
    const { store } = await freshStore(2);
    for (const id of ['pro', 'enterprise', 'free', 'team', 'basic']) await store.createPlan(plan(id));
    await store.createTenant(tenant('t-1'));

    const plans = await store.listPlans();

    expect(plans.map((p) => p.planId)).toEqual(['basic', 'enterprise', 'free', 'pro', 'team']);
    expect(plans[0]).toStrictEqual(plan('basic'));
  });

  test('update replaces the plan, removing fields it no longer has', async () => {
    const { store } = await freshStore();
    await store.createPlan(FULL);
    const { monthlyQuota: _quota, rateLimit: _rate, ...rest } = FULL;
    const unlimited: Plan = { ...rest, updatedAt: at(5) };

    await store.updatePlan(unlimited);

    await expect(store.getPlan('full')).resolves.toStrictEqual(unlimited);
    expect((await store.listPlans())[0]).toStrictEqual(unlimited);
  });

  test('updating a missing plan is plan_not_found and creates nothing', async () => {
    const { store } = await freshStore();

    const update = store.updatePlan(plan('ghost'));

    await expect(update).rejects.toBeInstanceOf(NotFoundError);
    await expect(update).rejects.toMatchObject({ status: 404, code: 'plan_not_found' });
    await expect(store.getPlan('ghost')).resolves.toBeUndefined();
  });

  test('with expectedUpdatedAt, an update applies only to the plan as it was read', async () => {
    const { store } = await freshStore();
    await store.createPlan(plan('team'));
    await store.updatePlan(plan('team', { monthlyQuota: 10, updatedAt: at(1) }), CREATED);

    // A second writer that read the plan before the first update.
    const stale = store.updatePlan(plan('team', { monthlyQuota: 20, updatedAt: at(2) }), CREATED);

    await expect(stale).rejects.toMatchObject({ status: 409, code: 'plan_changed' });
    await expect(store.getPlan('team')).resolves.toMatchObject({ monthlyQuota: 10, updatedAt: at(1) });
    await expect(
      store.updatePlan(plan('team', { monthlyQuota: 30, updatedAt: at(3) }), 'x'),
    ).rejects.toMatchObject({ code: 'plan_changed' });
    await expect(store.updatePlan(plan('ghost'), CREATED)).rejects.toMatchObject({ code: 'plan_not_found' });
  });
});

describe('tenant plans', () => {
  test('a tenant created with planSince reads it back; one without has none', async () => {
    const { store } = await freshStore();
    const { planSince: _since, ...legacy } = tenant('t-old');

    await store.createTenant(tenant('t-1'));
    await store.createTenant(legacy);

    await expect(store.getTenant('t-1')).resolves.toStrictEqual(tenant('t-1'));
    await expect(store.getTenant('t-old')).resolves.toStrictEqual(legacy);
  });

  test('moving a tenant updates it and records the change after the plan it was created on', async () => {
    const { store } = await freshStore();
    await store.createTenant(tenant('t-1'));

    const moved = await store.setTenantPlan('t-1', 'pro', at(1));
    const again = await store.setTenantPlan('t-1', 'enterprise', at(2));

    expect(moved).toStrictEqual({ ...tenant('t-1'), plan: 'pro', planSince: at(1) });
    expect(again).toStrictEqual({ ...tenant('t-1'), plan: 'enterprise', planSince: at(2) });
    await expect(store.getTenant('t-1')).resolves.toStrictEqual(again);
    await expect(store.listPlanChanges('t-1')).resolves.toStrictEqual([
      { tenantId: 't-1', to: 'free', at: CREATED },
      { tenantId: 't-1', from: 'free', to: 'pro', at: at(1) },
      { tenantId: 't-1', from: 'pro', to: 'enterprise', at: at(2) },
    ]);
  });

  test('the tenant keeps its domain shape: previousPlan and the records stay in the table', async () => {
    const { store, tableName } = await freshStore();
    await store.createTenant(tenant('t-1'));
    await store.setTenantPlan('t-1', 'pro', at(1));

    const { Items } = await createDocumentClient({ client: dynamo.client }).send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'TENANT#t-1' },
      }),
    );

    expect(Items?.map((item) => item.sk)).toEqual([`PLANCHANGE#${CREATED}`, `PLANCHANGE#${at(1)}`, 'TENANT']);
    expect(Items?.[2]).toMatchObject({ plan: 'pro', previousPlan: 'free', planSince: at(1) });
    expect(Items?.[1]).toMatchObject({ entity: 'PLAN_CHANGE', from: 'free', to: 'pro', at: at(1) });
    expect(Object.keys((await store.getTenant('t-1')) ?? {})).not.toContain('previousPlan');
  });

  test('moving a tenant to the plan it is on changes nothing', async () => {
    const { store } = await freshStore();
    await store.createTenant(tenant('t-1', 'pro'));

    const same = await store.setTenantPlan('t-1', 'pro', at(1));

    expect(same).toStrictEqual(tenant('t-1', 'pro'));
    await expect(store.listPlanChanges('t-1')).resolves.toStrictEqual([
      { tenantId: 't-1', to: 'pro', at: CREATED },
    ]);
  });

  test('a missing tenant is undefined and gets no records', async () => {
    const { store } = await freshStore();

    await expect(store.setTenantPlan('ghost', 'pro', at(1))).resolves.toBeUndefined();
    await expect(store.listPlanChanges('ghost')).resolves.toEqual([]);
  });

  test('a change that would not come after the current plan is refused', async () => {
    const { store } = await freshStore();
    await store.createTenant(tenant('t-1'));
    await store.setTenantPlan('t-1', 'pro', at(5));

    const early = store.setTenantPlan('t-1', 'enterprise', at(5));

    await expect(early).rejects.toBeInstanceOf(ConflictError);
    await expect(early).rejects.toMatchObject({ code: 'plan_change_conflict' });
    await expect(store.getTenant('t-1')).resolves.toMatchObject({ plan: 'pro', planSince: at(5) });
    await expect(store.setTenantPlan('t-1', 'pro', 'yesterday')).rejects.toThrow(RangeError);
  });

  test('of two concurrent moves exactly one applies; the other is a conflict', async () => {
    const { store } = await freshStore();
    await store.createTenant(tenant('t-1'));

    const results = await Promise.allSettled([
      store.setTenantPlan('t-1', 'pro', at(1)),
      store.setTenantPlan('t-1', 'enterprise', at(1)),
    ]);

    const applied = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(applied).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ reason: { code: 'plan_change_conflict' } });
    const winner = applied[0]?.status === 'fulfilled' ? applied[0].value : undefined;
    await expect(store.listPlanChanges('t-1')).resolves.toStrictEqual([
      { tenantId: 't-1', to: 'free', at: CREATED },
      { tenantId: 't-1', from: 'free', to: winner?.plan, at: at(1) },
    ]);
  });

  test('a tenant from before plan history (no planSince) moves, starting from its creation', async () => {
    const { store } = await freshStore();
    const { planSince: _since, ...legacy } = tenant('t-old');
    await store.createTenant(legacy);

    await expect(store.listPlanChanges('t-old')).resolves.toStrictEqual([
      { tenantId: 't-old', to: 'free', at: CREATED },
    ]);
    await expect(store.setTenantPlan('t-old', 'pro', at(1))).resolves.toMatchObject({
      plan: 'pro',
      planSince: at(1),
    });
    await expect(store.listPlanChanges('t-old')).resolves.toStrictEqual([
      { tenantId: 't-old', to: 'free', at: CREATED },
      { tenantId: 't-old', from: 'free', to: 'pro', at: at(1) },
    ]);
  });

  describe('a failure half-way', () => {
    /**
     * A store whose client loses the write of the record of a change to `lostTo` (the
     * connection resets before the request reaches the table), once.
     */
    async function storeLosingRecord(tableName: string, lostTo: string): Promise<DynamoRegistryStore> {
      const client = dynamo.createClient({ maxAttempts: 1 });
      let armed = true;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          // At this step the input is the document client's: the item is not marshalled yet.
          const item: unknown = Reflect.get(Object(args.input), 'Item');
          const sk: unknown = Reflect.get(Object(item), 'sk');
          if (
            armed &&
            context.commandName === 'PutItemCommand' &&
            typeof sk === 'string' &&
            sk.startsWith('PLANCHANGE#') &&
            Reflect.get(Object(item), 'to') === lostTo
          ) {
            armed = false;
            throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
          }
          return next(args);
        },
        { step: 'initialize', name: 'loseOnePlanChangeRecord' },
      );
      return new DynamoRegistryStore({ tableName, client: createDocumentClient({ client }) });
    }

    async function recordsOf(tableName: string, tenantId: string): Promise<unknown[]> {
      const { Items } = await createDocumentClient({ client: dynamo.client }).send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':prefix': 'PLANCHANGE#' },
        }),
      );
      return (Items ?? []).map((item) => item.to);
    }

    test('leaves the tenant moved, and the change readable although its record is missing', async () => {
      const { store, tableName } = await freshStore();
      await store.createTenant(tenant('t-1'));
      const faulty = await storeLosingRecord(tableName, 'pro');

      const failed = faulty.setTenantPlan('t-1', 'pro', at(1));

      await expect(failed).rejects.toBeInstanceOf(UnavailableError);
      await expect(store.getTenant('t-1')).resolves.toMatchObject({ plan: 'pro', planSince: at(1) });
      expect(await recordsOf(tableName, 't-1')).toEqual(['free']);
      await expect(store.listPlanChanges('t-1')).resolves.toStrictEqual([
        { tenantId: 't-1', to: 'free', at: CREATED },
        { tenantId: 't-1', from: 'free', to: 'pro', at: at(1) },
      ]);
    });

    test('a retry of the same move writes the missing record and returns the tenant', async () => {
      const { store, tableName } = await freshStore();
      await store.createTenant(tenant('t-1'));
      const faulty = await storeLosingRecord(tableName, 'pro');
      await expect(faulty.setTenantPlan('t-1', 'pro', at(1))).rejects.toBeInstanceOf(UnavailableError);

      const retried = await store.setTenantPlan('t-1', 'pro', at(2));

      expect(retried).toMatchObject({ plan: 'pro', planSince: at(1) });
      expect(await recordsOf(tableName, 't-1')).toEqual(['free', 'pro']);
    });

    test('the next move writes the missing record first, so the history has no gap', async () => {
      const { store, tableName } = await freshStore();
      await store.createTenant(tenant('t-1'));
      const faulty = await storeLosingRecord(tableName, 'pro');
      await expect(faulty.setTenantPlan('t-1', 'pro', at(1))).rejects.toBeInstanceOf(UnavailableError);

      await store.setTenantPlan('t-1', 'enterprise', at(2));

      expect(await recordsOf(tableName, 't-1')).toEqual(['free', 'pro', 'enterprise']);
      await expect(store.listPlanChanges('t-1')).resolves.toStrictEqual([
        { tenantId: 't-1', to: 'free', at: CREATED },
        { tenantId: 't-1', from: 'free', to: 'pro', at: at(1) },
        { tenantId: 't-1', from: 'pro', to: 'enterprise', at: at(2) },
      ]);
    });
  });
});
