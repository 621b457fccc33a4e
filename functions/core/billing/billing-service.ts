import type { BillingReport, UsageCharges } from '../../api/views';
import { TtlCache } from '../cache/ttl-cache';
import { NotFoundError } from '../errors';
import { OPERATOR_PLAN } from '../limits/tenant-plans';
import type { UsageRow, UsageStore } from '../metering/types';
import type { RegistryStore } from '../registry/registry-store';
import { defaultPlanDefinition, planFromDefinition } from '../plans/default-plans';
import type { Plan, Tier } from '../registry/types';
import { buildBillingReport, versionKey } from './report';

export interface BillingServiceOptions {
  readonly registry: Pick<RegistryStore, 'getPlan' | 'getVersion' | 'getTenant' | 'listTenants'>;
  readonly usage: Pick<UsageStore, 'listMonth' | 'listTenantMonth'>;
  readonly now?: () => Date;
}

/** Versions are immutable: their tiers are cached for the life of the instance. */
const FOREVER_MS = Number.MAX_SAFE_INTEGER / 2;

/**
 * Billing's use cases: the usage report of a month (operators, finance) and a tenant's
 * charges (`GET /v1/usage`). Reads usage rows, the plans they were served under and the
 * tiers of their model versions, then prices them with `buildBillingReport`.
 *
 * Plans are read afresh for every report, so a report prices with the plans as they are
 * when it is made. A plan is found as the data plane finds it: the stored plan, else the
 * built-in one of that id (a default plan the deployment has not written yet, or
 * `operator`, the free plan of the operator's own requests).
 *
 * @example
 * const billing = new BillingService({ registry, usage });
 * const report = await billing.report('2026-11');
 */
export class BillingService {
  private readonly options: BillingServiceOptions;
  private readonly now: () => Date;
  private readonly tiers = new TtlCache<string, Tier>({ ttlMs: FOREVER_MS, maxEntries: 10_000 });

  public constructor(options: BillingServiceOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * The report of `month` (`YYYY-MM`): every tenant's usage, or one tenant's (404
   * `tenant_not_found` if there is no such tenant).
   */
  public async report(month: string, tenantId?: string): Promise<BillingReport> {
    const { registry, usage } = this.options;
    if (tenantId !== undefined) {
      const tenant = await registry.getTenant(tenantId);
      if (tenant === undefined) {
        throw new NotFoundError('tenant_not_found', `Tenant "${tenantId}" was not found`);
      }
      const rows = await usage.listTenantMonth(tenantId, month);
      return this.build(month, rows, new Map([[tenant.tenantId, tenant.name]]), tenantId);
    }
    const [rows, tenants] = await Promise.all([usage.listMonth(month), registry.listTenants()]);
    const names = new Map(tenants.map((tenant) => [tenant.tenantId, tenant.name]));
    // The tenant listing is eventually consistent: read a tenant it does not show yet.
    const missing = [...new Set(rows.map((row) => row.tenantId))].filter((id) => !names.has(id));
    for (const tenant of await Promise.all(missing.map((id) => registry.getTenant(id)))) {
      if (tenant !== undefined) names.set(tenant.tenantId, tenant.name);
    }
    return this.build(month, rows, names);
  }

  /** A tenant's charges for `month` from its usage rows of that month. */
  public async charges(tenantId: string, month: string, rows: readonly UsageRow[]): Promise<UsageCharges> {
    const report = await this.build(month, rows, new Map(), tenantId);
    const bill = report.tenants.find((tenant) => tenant.tenantId === tenantId);
    return { final: report.final, lines: bill?.lines ?? [], totals: bill?.totals ?? [] };
  }

  private async build(
    month: string,
    rows: readonly UsageRow[],
    tenantNames: ReadonlyMap<string, string>,
    tenantId?: string,
  ): Promise<BillingReport> {
    const [plans, tiers] = await Promise.all([this.plansOf(rows), this.tiersOf(rows)]);
    return buildBillingReport({ month, rows, plans, tiers, tenantNames, generatedAt: this.now(), tenantId });
  }

  private async plansOf(rows: readonly UsageRow[]): Promise<Map<string, Plan>> {
    const ids = [...new Set(rows.map((row) => row.plan))];
    const plans = await Promise.all(
      ids.map(async (id) => (await this.options.registry.getPlan(id)) ?? builtInPlan(id)),
    );
    return new Map(plans.filter((plan) => plan !== undefined).map((plan) => [plan.planId, plan]));
  }

  private async tiersOf(rows: readonly UsageRow[]): Promise<Map<string, Tier>> {
    const keys = new Map(rows.map((row) => [versionKey(row.modelName, row.version), row]));
    const entries = await Promise.all(
      [...keys].map(async ([key, row]) => [key, await this.tierOf(key, row)] as const),
    );
    const tiers = new Map<string, Tier>();
    for (const [key, tier] of entries) if (tier !== undefined) tiers.set(key, tier);
    return tiers;
  }

  /** A miss is not cached, so a version registered later is priced at once. */
  private async tierOf(key: string, row: UsageRow): Promise<Tier | undefined> {
    const cached = this.tiers.get(key);
    if (cached !== undefined) return cached;
    const version = await this.options.registry.getVersion(row.modelName, row.version);
    if (version !== undefined) this.tiers.set(key, version.tier);
    return version?.tier;
  }
}

/** The plans that exist without being stored, as `TenantPlans` serves them. */
function builtInPlan(planId: string): Plan | undefined {
  if (planId === OPERATOR_PLAN.planId) return OPERATOR_PLAN;
  const definition = defaultPlanDefinition(planId);
  return definition === undefined ? undefined : planFromDefinition(definition, OPERATOR_PLAN.createdAt);
}
