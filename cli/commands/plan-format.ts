import type { Plan, PlanChange, Price } from '../../client';
import { fields, formatBytes, formatCount, table } from '../format';

/** `12 rps, burst 20`, or `unlimited`. */
export function formatRate(plan: Plan): string {
  const limit = plan.rateLimit;
  return limit === undefined ? 'unlimited' : `${limit.requestsPerSecond} rps, burst ${limit.burst}`;
}

/** `1,000,000/month`, or `unlimited`. */
export function formatQuota(plan: Plan): string {
  return plan.monthlyQuota === undefined ? 'unlimited' : `${formatCount(plan.monthlyQuota)}/month`;
}

function formatPrice(price: Price, currency: string): string {
  return `${currency} ${price.perThousandRequests} per 1,000 requests + ${price.perComputeSecond} per compute-second`;
}

/** A plan as `label: value` lines. */
export function describePlan(plan: Plan): string {
  const modelPrices = Object.entries(plan.prices.models ?? {}).map(([name, price]): [string, string] => [
    `price of ${name}`,
    formatPrice(price, plan.currency),
  ]);
  return fields([
    ['plan', plan.planId],
    ['description', plan.description ?? '-'],
    ['quota', formatQuota(plan)],
    ['rate limit', formatRate(plan)],
    ['tiers', plan.allowedTiers.join(', ')],
    ['models', plan.allowedModels?.join(', ') ?? 'every model'],
    ['max payload', `${formatBytes(plan.maxPayloadBytes)} (${plan.maxPayloadBytes} bytes)`],
    ...plan.allowedTiers.map((tier): [string, string] => [
      `price on ${tier}`,
      formatPrice(plan.prices.tiers[tier], plan.currency),
    ]),
    ...modelPrices,
    ['created', plan.createdAt],
    ['updated', plan.updatedAt],
  ]);
}

/** Plans as a table. */
export function plansTable(plans: readonly Plan[]): string {
  if (plans.length === 0) return 'no plans';
  return table(
    ['PLAN', 'QUOTA', 'RATE LIMIT', 'TIERS', 'MODELS', 'MAX PAYLOAD', 'CURRENCY'],
    plans.map((plan) => [
      plan.planId,
      formatQuota(plan),
      formatRate(plan),
      plan.allowedTiers.join(','),
      plan.allowedModels === undefined ? 'all' : String(plan.allowedModels.length),
      formatBytes(plan.maxPayloadBytes),
      plan.currency,
    ]),
  );
}

/** Plan changes as a table, oldest first. */
export function planChangesTable(changes: readonly PlanChange[]): string {
  if (changes.length === 0) return 'no plan changes';
  return table(
    ['AT', 'FROM', 'TO'],
    changes.map((change) => [change.at, change.from ?? '(created)', change.to]),
  );
}
