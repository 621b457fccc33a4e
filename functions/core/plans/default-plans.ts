import { MAX_BODY_BYTES } from '../../constants';
import { ConflictError } from '../errors';
import type { RegistryStore } from '../registry/registry-store';
import type { Plan } from '../registry/types';

/** A plan as defined, before it is stored (the store adds its timestamps). */
export type PlanDefinition = Omit<Plan, 'createdAt' | 'updatedAt'>;

/** The plan of a tenant created without one. */
export const DEFAULT_PLAN_ID = 'free';

const MIB = 1024 * 1024;
const FREE = { perThousandRequests: '0', perComputeSecond: '0' } as const;

/**
 * The plans every deployment starts with. The deploy-time bootstrap (AWS) and the local
 * seed write them when they are missing; operators change them afterwards with
 * `PATCH /admin/plans/{planId}` (an existing plan is never overwritten from here).
 *
 * Prices are in USD. Lambda-tier compute is the model's run time; SageMaker-tier compute is
 * endpoint time. They are set a few times above the AWS list prices of the resources they
 * use (Lambda at 1 GB about $0.0000167/s, a `ml.g4dn.xlarge` endpoint about $0.0002/s).
 */
export const DEFAULT_PLANS: readonly PlanDefinition[] = [
  {
    planId: 'free',
    description: 'Try the platform: 10,000 requests a month, Lambda tier only, no charge',
    monthlyQuota: 10_000,
    rateLimit: { requestsPerSecond: 5, burst: 10 },
    allowedTiers: ['lambda'],
    maxPayloadBytes: 1 * MIB,
    currency: 'USD',
    prices: { tiers: { lambda: FREE, sagemaker: FREE } },
  },
  {
    planId: 'pro',
    description: 'Production use: 1,000,000 requests a month on both tiers',
    monthlyQuota: 1_000_000,
    rateLimit: { requestsPerSecond: 50, burst: 100 },
    allowedTiers: ['lambda', 'sagemaker'],
    maxPayloadBytes: MAX_BODY_BYTES,
    currency: 'USD',
    prices: {
      tiers: {
        lambda: { perThousandRequests: '0.40', perComputeSecond: '0.00005' },
        sagemaker: { perThousandRequests: '1.00', perComputeSecond: '0.0006' },
      },
    },
  },
  {
    planId: 'enterprise',
    description: 'High volume: no monthly quota, 1,000 requests per second, both tiers',
    rateLimit: { requestsPerSecond: 1000, burst: 2000 },
    allowedTiers: ['lambda', 'sagemaker'],
    maxPayloadBytes: MAX_BODY_BYTES,
    currency: 'USD',
    prices: {
      tiers: {
        lambda: { perThousandRequests: '0.25', perComputeSecond: '0.00004' },
        sagemaker: { perThousandRequests: '0.80', perComputeSecond: '0.0005' },
      },
    },
  },
];

/** The default plan with this id, or undefined when `planId` is not one of them. */
export function defaultPlanDefinition(planId: string): PlanDefinition | undefined {
  return DEFAULT_PLANS.find((plan) => plan.planId === planId);
}

/** A definition as a stored plan created at `at`. */
export function planFromDefinition(definition: PlanDefinition, at: string): Plan {
  return { ...definition, createdAt: at, updatedAt: at };
}

/**
 * Writes every default plan that is missing and leaves the others as they are: one
 * conditional write per plan, so it is idempotent and needs no read permission (the
 * bootstrap function may only write). Returns the ids of the plans it created.
 *
 * @example
 * const created = await ensureDefaultPlans(registry, new Date().toISOString()); // ['free', 'pro', 'enterprise'] the first time, then []
 */
export async function ensureDefaultPlans(
  store: Pick<RegistryStore, 'createPlan'>,
  at: string,
): Promise<string[]> {
  const created: string[] = [];
  for (const definition of DEFAULT_PLANS) {
    if (await createIfMissing(store, planFromDefinition(definition, at))) created.push(definition.planId);
  }
  return created;
}

/** Creates `plan`; false when a plan with its id exists already (which is kept). */
export async function createIfMissing(
  store: Pick<RegistryStore, 'createPlan'>,
  plan: Plan,
): Promise<boolean> {
  try {
    await store.createPlan(plan);
    return true;
  } catch (error) {
    if (error instanceof ConflictError && error.code === 'plan_exists') return false;
    throw error;
  }
}
