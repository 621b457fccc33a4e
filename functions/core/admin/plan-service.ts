import type { z } from 'zod';
import {
  createPlanSchema,
  planSchema,
  updatePlanSchema,
  type CreatePlanRequest,
  type UpdatePlanRequest,
} from '../../api/schemas';
import { BadRequestError, NotFoundError } from '../errors';
import {
  createIfMissing,
  defaultPlanDefinition,
  ensureDefaultPlans,
  planFromDefinition,
} from '../plans/default-plans';
import { applyMergePatch } from '../plans/merge-patch';
import type { RegistryStore } from '../registry/registry-store';
import type { Plan, PlanChange, Tenant } from '../registry/types';

/** The registry methods plans need. */
export type PlanStore = Pick<
  RegistryStore,
  'getTenant' | 'setTenantPlan' | 'listPlanChanges' | 'createPlan' | 'updatePlan' | 'getPlan' | 'listPlans'
>;

export interface PlanServiceOptions {
  readonly store: PlanStore;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Plans and the plans of tenants. Every plan it stores is checked whole (`planSchema`), so
 * a plan is valid whoever calls: 400 `invalid_plan` names each problem. A plan a tenant is
 * put on must exist (400 `unknown_plan`); the default plans (`free`, `pro`, `enterprise`)
 * always do, as they are written on first use if the deployment has not seeded them yet.
 *
 * @example
 * const plans = new PlanService({ store: registry });
 * await plans.create({ planId: 'team', monthlyQuota: 100_000, prices: { tiers: { lambda: price, sagemaker: price } } });
 * await plans.setTenantPlan(tenantId, 'team');
 */
export class PlanService {
  private readonly store: PlanStore;
  private readonly now: () => Date;

  public constructor(options: PlanServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
  }

  /** Creates a plan; 409 `plan_exists` when the id is taken. */
  public async create(request: CreatePlanRequest): Promise<Plan> {
    const fields = check(createPlanSchema, request, 'Invalid plan');
    const at = this.now().toISOString();
    const plan = check(planSchema, { ...fields, createdAt: at, updatedAt: at }, 'Invalid plan');
    await this.store.createPlan(plan);
    return plan;
  }

  /**
   * Applies a merge patch (see `updatePlanSchema`) to a plan and stores the result if it is
   * a valid plan. A concurrent update of the same plan is 409 `plan_changed`, never lost.
   */
  public async update(planId: string, patch: UpdatePlanRequest): Promise<Plan> {
    const changes = check(updatePlanSchema, patch, 'Invalid plan change');
    const current = await this.get(planId);
    const merged = applyMergePatch(current, changes);
    const plan = check(
      planSchema,
      {
        ...(isRecord(merged) ? merged : {}),
        planId: current.planId,
        createdAt: current.createdAt,
        updatedAt: after(this.now(), current.updatedAt),
      },
      `Plan "${planId}" would not be valid`,
    );
    await this.store.updatePlan(plan, current.updatedAt);
    return plan;
  }

  /** 404 `plan_not_found` when there is no such plan. */
  public async get(planId: string): Promise<Plan> {
    const plan = await this.store.getPlan(planId);
    if (plan === undefined) throw new NotFoundError('plan_not_found', `Plan "${planId}" was not found`);
    return plan;
  }

  public list(): Promise<Plan[]> {
    return this.store.listPlans();
  }

  /**
   * The plan a tenant is to be put on: 400 `unknown_plan` unless it exists. A default plan
   * missing from the table (a deployment the bootstrap has not seeded yet, a bare test
   * table) is written from its definition first.
   */
  public async resolve(planId: string): Promise<Plan> {
    const stored = await this.store.getPlan(planId);
    if (stored !== undefined) return stored;
    const definition = defaultPlanDefinition(planId);
    if (definition !== undefined) {
      const plan = planFromDefinition(definition, this.now().toISOString());
      if (await createIfMissing(this.store, plan)) return plan;
      const created = await this.store.getPlan(planId);
      if (created !== undefined) return created;
    }
    throw new BadRequestError(
      'unknown_plan',
      `Plan "${planId.slice(0, 64)}" does not exist; list plans with GET /admin/plans or create it with POST /admin/plans`,
    );
  }

  /**
   * Moves a tenant to a plan from now on and records the change (see
   * `RegistryStore.setTenantPlan`). Moving a tenant to the plan it is on changes nothing.
   * 404 `tenant_not_found`, 400 `unknown_plan`.
   */
  public async setTenantPlan(tenantId: string, planId: string): Promise<Tenant> {
    const tenant = await this.requireTenant(tenantId);
    await this.resolve(planId);
    // Changes are keyed by time: one instance's clock may lag another's by a little.
    const at = after(this.now(), tenant.planSince ?? tenant.createdAt);
    const moved = await this.store.setTenantPlan(tenantId, planId, at);
    if (moved === undefined) throw tenantNotFound(tenantId);
    return moved;
  }

  /** A tenant's plans over time, oldest first; the first is the plan it was created on. */
  public async listPlanChanges(tenantId: string): Promise<PlanChange[]> {
    await this.requireTenant(tenantId);
    return this.store.listPlanChanges(tenantId);
  }

  /** Writes the default plans that are missing (idempotent); returns the ids it created. */
  public ensureDefaults(): Promise<string[]> {
    return ensureDefaultPlans(this.store, this.now().toISOString());
  }

  private async requireTenant(tenantId: string): Promise<Tenant> {
    const tenant = await this.store.getTenant(tenantId);
    if (tenant === undefined) throw tenantNotFound(tenantId);
    return tenant;
  }
}

function tenantNotFound(tenantId: string): NotFoundError {
  return new NotFoundError('tenant_not_found', `Tenant "${tenantId.slice(0, 64)}" was not found`);
}

/** `now` as an ISO instant, or 1 ms after `previous` if `now` is not later than it. */
function after(now: Date, previous: string): string {
  const previousMs = Date.parse(previous);
  return new Date(
    Number.isNaN(previousMs) ? now.getTime() : Math.max(now.getTime(), previousMs + 1),
  ).toISOString();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses `value`, or throws 400 `invalid_plan` naming every field that is wrong. */
function check<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'plan'}: ${issue.message}`,
  );
  throw new BadRequestError('invalid_plan', `${what}: ${problems.join('; ')}`);
}
