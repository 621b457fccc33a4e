import { BadRequestError } from '../errors';
import { MAX_ALIAS_ROUTES, type AliasRoute, type AliasTarget } from './types';

/** The weights of an alias's routes sum to this: they are percentages. */
export const TOTAL_WEIGHT = 100;

/**
 * Checks weighted routes and returns the target they make: weights are positive integers
 * summing to 100, versions are distinct, there are at most `MAX_ALIAS_ROUTES`. One route of
 * weight 100 is the same as pointing at its version, and becomes that. The target's
 * `version` is the route of the largest weight (the first of equals). Throws
 * `BadRequestError` `invalid_routes` naming the problem.
 *
 * @example
 * targetOfRoutes([{ version: '3', weight: 90 }, { version: '4', weight: 10 }]);
 * // { version: '3', routes: [{ version: '3', weight: 90 }, { version: '4', weight: 10 }] }
 */
export function targetOfRoutes(routes: readonly AliasRoute[]): AliasTarget {
  const problems: string[] = [];
  if (routes.length === 0) problems.push('give at least one route');
  if (routes.length > MAX_ALIAS_ROUTES) {
    problems.push(`at most ${MAX_ALIAS_ROUTES} routes, got ${routes.length}`);
  }
  routes.forEach((route, index) => {
    if (!Number.isSafeInteger(route.weight) || route.weight < 1 || route.weight > TOTAL_WEIGHT) {
      problems.push(
        `routes.${index}.weight must be an integer from 1 to ${TOTAL_WEIGHT}, got ${route.weight}`,
      );
    }
  });
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.version)) problems.push(`version ${route.version} appears more than once`);
    seen.add(route.version);
  }
  const total = routes.reduce((sum, route) => sum + route.weight, 0);
  if (routes.length > 0 && total !== TOTAL_WEIGHT) {
    problems.push(`the weights must sum to ${TOTAL_WEIGHT}, they sum to ${total}`);
  }
  if (problems.length > 0) {
    throw new BadRequestError('invalid_routes', `Invalid routes: ${problems.join('; ')}`);
  }
  const [first] = routes;
  if (routes.length === 1 && first !== undefined) return { version: first.version };
  const primary = routes.reduce((best, route) => (route.weight > best.weight ? route : best));
  return {
    version: primary.version,
    routes: routes.map((route) => ({ version: route.version, weight: route.weight })),
  };
}

/** Only the target of an alias or history entry: `version`, and `routes` when it has them. */
export function targetOf(target: AliasTarget): AliasTarget {
  return target.routes === undefined
    ? { version: target.version }
    : { version: target.version, routes: target.routes.map((route) => ({ ...route })) };
}

/** Every version a target can send requests to. */
export function versionsOf(target: AliasTarget): string[] {
  return target.routes === undefined ? [target.version] : target.routes.map((route) => route.version);
}

/** Whether two targets send the same share of requests to the same versions. */
export function sameTarget(a: AliasTarget, b: AliasTarget): boolean {
  const shares = (target: AliasTarget): string =>
    (target.routes ?? [{ version: target.version, weight: TOTAL_WEIGHT }])
      .map((route) => `${route.version}:${route.weight}`)
      .sort()
      .join(',');
  return shares(a) === shares(b);
}

/**
 * The version one request goes to: `target.version` for a plain target; for weighted
 * routes, each route with probability weight / 100. `random` returns uniform numbers in
 * [0, 1) (`Math.random`, or a seeded source in tests).
 *
 * @example
 * pickVersion({ version: '3', routes: [{ version: '3', weight: 90 }, { version: '4', weight: 10 }] }, () => 0.95);
 * // '4'
 */
export function pickVersion(target: AliasTarget, random: () => number): string {
  const { routes } = target;
  if (routes === undefined || routes.length === 0) return target.version;
  const total = routes.reduce((sum, route) => sum + route.weight, 0);
  const point = random() * total;
  let cumulative = 0;
  for (const route of routes) {
    cumulative += route.weight;
    if (point < cumulative) return route.version;
  }
  // Only reached if `random` returned 1 or more: the last route.
  return routes[routes.length - 1]?.version ?? target.version;
}

/** `3 (90%), 4 (10%)`, or `3` for a plain target: how messages and the CLI show a target. */
export function describeTarget(target: AliasTarget): string {
  if (target.routes === undefined) return target.version;
  return target.routes.map((route) => `${route.version} (${route.weight}%)`).join(', ');
}
