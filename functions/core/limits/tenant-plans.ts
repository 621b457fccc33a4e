import { MAX_BODY_BYTES, OPERATOR_TENANT_ID } from '../../constants';
import type { Principal } from '../auth/principal';
import { TtlCache } from '../cache/ttl-cache';
import { ForbiddenError } from '../errors';
import { defaultPlanDefinition, planFromDefinition } from '../plans/default-plans';
import type { RegistryStore } from '../registry/registry-store';
import { TIERS, type Plan, type Tenant } from '../registry/types';
import { requestLimitsOf, type RequestLimits } from './policy';

/** A tenant's plan as the data plane uses it. */
export interface TenantPlan {
  readonly plan: Plan;
  /** The plan's quota and rate limit; undefined when it sets neither (no limiter I/O). */
  readonly limits: RequestLimits | undefined;
}

export interface TenantPlansOptions {
  readonly store: Pick<RegistryStore, 'getTenant' | 'getPlan'>;
  /**
   * How long tenants and plans stay cached: a plan change (a tenant moved to another plan,
   * or a plan's limits edited) applies to a warm instance within this time; 0 reads both on
   * every request, so a change applies from the next request.
   */
  readonly cacheTtlMs: number;
  readonly now?: () => number;
}

/**
 * The operator's keys belong to no tenant: their requests (tests, smoke checks) run under
 * this plan, with no limits, on every tier, and are metered as plan `operator`.
 */
export const OPERATOR_PLAN: Plan = {
  planId: 'operator',
  description: 'Requests made with operator keys: no limits, never billed',
  allowedTiers: TIERS,
  maxPayloadBytes: MAX_BODY_BYTES,
  currency: 'USD',
  prices: {
    tiers: {
      lambda: { perThousandRequests: '0', perComputeSecond: '0' },
      sagemaker: { perThousandRequests: '0', perComputeSecond: '0' },
    },
  },
  createdAt: '1970-01-01T00:00:00.000Z',
  updatedAt: '1970-01-01T00:00:00.000Z',
};

const OPERATOR: TenantPlan = { plan: OPERATOR_PLAN, limits: undefined };

/**
 * Finds the plan a request runs under: the tenant's `plan`, read through a cache of
 * `cacheTtlMs` (like API keys). A default plan (`free`, `pro`, `enterprise`) that is not
 * in the table yet (a deployment whose bootstrap has not written it) is served as defined
 * in code. Fails closed: a tenant that does not exist, or a plan that does not, is 403.
 *
 * @example
 * const plans = new TenantPlans({ store: registry, cacheTtlMs: 60_000 });
 * const { plan, limits } = await plans.planOf(principal);
 */
export class TenantPlans {
  private readonly store: TenantPlansOptions['store'];
  private readonly tenants: TtlCache<string, Tenant | undefined>;
  private readonly plans: TtlCache<string, TenantPlan | undefined>;

  public constructor(options: TenantPlansOptions) {
    this.store = options.store;
    this.tenants = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: 50_000, now: options.now });
    this.plans = new TtlCache({ ttlMs: options.cacheTtlMs, maxEntries: 1_000, now: options.now });
  }

  public async planOf(principal: Principal): Promise<TenantPlan> {
    if (principal.tenantId === OPERATOR_TENANT_ID) return OPERATOR;
    const tenantId = principal.tenantId;
    const tenant = await this.tenants.getOrLoad(tenantId, () => this.store.getTenant(tenantId));
    if (tenant === undefined) {
      throw new ForbiddenError('tenant_missing', `The key's tenant "${tenantId}" does not exist`);
    }
    const found = await this.plans.getOrLoad(tenant.plan, () => this.loadPlan(tenant.plan));
    if (found === undefined) {
      throw new ForbiddenError(
        'plan_missing',
        `The plan "${tenant.plan}" of tenant "${tenantId}" does not exist; ask the operator to fix the tenant's plan`,
      );
    }
    return found;
  }

  private async loadPlan(planId: string): Promise<TenantPlan | undefined> {
    const stored = await this.store.getPlan(planId);
    const definition = stored === undefined ? defaultPlanDefinition(planId) : undefined;
    const plan =
      stored ??
      (definition === undefined ? undefined : planFromDefinition(definition, OPERATOR_PLAN.createdAt));
    return plan === undefined ? undefined : { plan, limits: requestLimitsOf(plan) };
  }
}
