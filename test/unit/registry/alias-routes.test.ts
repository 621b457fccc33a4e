import { BadRequestError } from '../../../functions/core/errors';
import {
  describeTarget,
  pickVersion,
  sameTarget,
  targetOfRoutes,
  versionsOf,
} from '../../../functions/core/registry/alias-routes';
import { changedAlias, rolledBackAlias } from '../../../functions/core/registry/alias-history';
import { ALIAS_HISTORY_LIMIT, type Alias, type AliasTarget } from '../../../functions/core/registry/types';
import { createRandom } from '../../../models/recipes/random';

const CANARY: AliasTarget = {
  version: '3',
  routes: [
    { version: '3', weight: 90 },
    { version: '4', weight: 10 },
  ],
};

function invalid(routes: { version: string; weight: number }[]): string {
  try {
    targetOfRoutes(routes);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_routes' });
    return (error as Error).message;
  }
  throw new Error(`routes ${JSON.stringify(routes)} were accepted`);
}

describe('weighted alias routes', () => {
  describe('targetOfRoutes', () => {
    it('keeps the routes and takes the heaviest as the alias version', () => {
      expect(
        targetOfRoutes([
          { version: '4', weight: 10 },
          { version: '3', weight: 90 },
        ]),
      ).toEqual({
        version: '3',
        routes: [
          { version: '4', weight: 10 },
          { version: '3', weight: 90 },
        ],
      });
    });

    it('takes the first of equal weights as the alias version', () => {
      expect(
        targetOfRoutes([
          { version: '7', weight: 50 },
          { version: '2', weight: 50 },
        ]).version,
      ).toBe('7');
    });

    it('turns one route of weight 100 into a plain version', () => {
      expect(targetOfRoutes([{ version: '5', weight: 100 }])).toEqual({ version: '5' });
    });

    it('refuses weights that do not sum to 100', () => {
      expect(
        invalid([
          { version: '1', weight: 80 },
          { version: '2', weight: 10 },
        ]),
      ).toContain('sum to 100, they sum to 90');
    });

    it('refuses zero, negative, fractional and oversized weights, naming the route', () => {
      expect(
        invalid([
          { version: '1', weight: 100 },
          { version: '2', weight: 0 },
        ]),
      ).toContain('routes.1.weight must be an integer from 1 to 100, got 0');
      expect(
        invalid([
          { version: '1', weight: 110 },
          { version: '2', weight: -10 },
        ]),
      ).toContain('routes.1.weight');
      expect(
        invalid([
          { version: '1', weight: 99.5 },
          { version: '2', weight: 0.5 },
        ]),
      ).toContain('routes.0.weight');
    });

    it('refuses a version listed twice, no routes and too many routes', () => {
      expect(
        invalid([
          { version: '1', weight: 50 },
          { version: '1', weight: 50 },
        ]),
      ).toContain('version 1 appears more than once');
      expect(invalid([])).toContain('at least one route');
      expect(
        invalid([1, 2, 3, 4, 5, 6].map((v) => ({ version: String(v), weight: v === 1 ? 50 : 10 }))),
      ).toContain('at most 5 routes, got 6');
    });
  });

  describe('pickVersion', () => {
    it('maps [0, 1) onto the routes in order, by weight', () => {
      expect(pickVersion(CANARY, () => 0)).toBe('3');
      expect(pickVersion(CANARY, () => 0.8999)).toBe('3');
      expect(pickVersion(CANARY, () => 0.9)).toBe('4');
      expect(pickVersion(CANARY, () => 0.999999)).toBe('4');
    });

    it('sends every request of a plain target to its version', () => {
      expect(pickVersion({ version: '8' }, () => 0.99)).toBe('8');
    });

    it('splits 10,000 seeded picks 90/10 and three ways 50/30/20, within 1.5 points', () => {
      const count = (target: AliasTarget, seed: number): Record<string, number> => {
        const random = createRandom(seed);
        const counts: Record<string, number> = {};
        for (let i = 0; i < 10_000; i++) {
          const version = pickVersion(target, random.next);
          counts[version] = (counts[version] ?? 0) + 1;
        }
        return counts;
      };

      const canary = count(CANARY, 42);
      expect(Object.keys(canary).sort()).toEqual(['3', '4']);
      expect(Math.abs((canary['4'] ?? 0) - 1000)).toBeLessThan(150);

      const threeWay = count(
        targetOfRoutes([
          { version: '1', weight: 50 },
          { version: '2', weight: 30 },
          { version: '3', weight: 20 },
        ]),
        7,
      );
      expect(Math.abs((threeWay['1'] ?? 0) - 5000)).toBeLessThan(150);
      expect(Math.abs((threeWay['2'] ?? 0) - 3000)).toBeLessThan(150);
      expect(Math.abs((threeWay['3'] ?? 0) - 2000)).toBeLessThan(150);
    });
  });

  it('compares targets by their shares, whatever the order', () => {
    expect(
      sameTarget(CANARY, {
        version: '3',
        routes: [
          { version: '4', weight: 10 },
          { version: '3', weight: 90 },
        ],
      }),
    ).toBe(true);
    expect(sameTarget({ version: '3' }, CANARY)).toBe(false);
    expect(sameTarget({ version: '3' }, { version: '3' })).toBe(true);
    expect(versionsOf(CANARY)).toEqual(['3', '4']);
    expect(describeTarget(CANARY)).toBe('3 (90%), 4 (10%)');
    expect(describeTarget({ version: '3' })).toBe('3');
  });
});

describe('alias history', () => {
  const names = { modelName: 'digits', alias: 'prod' };

  it('pushes the replaced target on the history and counts revisions', () => {
    const first = changedAlias(undefined, names, { version: '1' }, '2026-01-01T00:00:00.000Z');
    const second = changedAlias(first, names, CANARY, '2026-01-02T00:00:00.000Z');

    expect(first).toEqual({
      ...names,
      version: '1',
      updatedAt: '2026-01-01T00:00:00.000Z',
      revision: 1,
      history: [],
    });
    expect(second).toEqual({
      ...names,
      ...CANARY,
      updatedAt: '2026-01-02T00:00:00.000Z',
      revision: 2,
      history: [{ version: '1', updatedAt: '2026-01-01T00:00:00.000Z' }],
    });
  });

  it('keeps at most ALIAS_HISTORY_LIMIT earlier targets, the latest first', () => {
    let alias: Alias | undefined;
    for (let version = 1; version <= ALIAS_HISTORY_LIMIT + 5; version++) {
      alias = changedAlias(
        alias,
        names,
        { version: String(version) },
        `2026-01-01T00:00:${String(version).padStart(2, '0')}.000Z`,
      );
    }

    expect(alias?.history).toHaveLength(ALIAS_HISTORY_LIMIT);
    expect(alias?.history?.[0]?.version).toBe(String(ALIAS_HISTORY_LIMIT + 4));
    expect(alias?.revision).toBe(ALIAS_HISTORY_LIMIT + 5);
  });

  it('rolls back one change at a time, then has nothing left', () => {
    const first = changedAlias(undefined, names, { version: '1' }, '2026-01-01T00:00:00.000Z');
    const second = changedAlias(first, names, { version: '2' }, '2026-01-02T00:00:00.000Z');
    const third = changedAlias(second, names, CANARY, '2026-01-03T00:00:00.000Z');

    const back = rolledBackAlias(third, '2026-01-04T00:00:00.000Z');
    expect(back).toEqual({
      ...names,
      version: '2',
      updatedAt: '2026-01-04T00:00:00.000Z',
      revision: 4,
      history: [{ version: '1', updatedAt: '2026-01-01T00:00:00.000Z' }],
    });
    const further = back === undefined ? undefined : rolledBackAlias(back, '2026-01-05T00:00:00.000Z');
    expect(further).toMatchObject({ version: '1', revision: 5, history: [] });
    expect(
      further === undefined ? 'missing' : rolledBackAlias(further, '2026-01-06T00:00:00.000Z'),
    ).toBeUndefined();
  });

  it('restores a weighted target with its routes', () => {
    const canary = changedAlias(undefined, names, CANARY, '2026-01-01T00:00:00.000Z');
    const full = changedAlias(canary, names, { version: '4' }, '2026-01-02T00:00:00.000Z');

    expect(rolledBackAlias(full, '2026-01-03T00:00:00.000Z')).toMatchObject({ ...CANARY, history: [] });
  });

  it('treats an alias written before revisions as revision 0', () => {
    const legacy: Alias = { ...names, version: '1', updatedAt: '2025-01-01T00:00:00.000Z' };

    expect(changedAlias(legacy, names, { version: '2' }, '2026-01-01T00:00:00.000Z')).toMatchObject({
      revision: 1,
      history: [{ version: '1', updatedAt: '2025-01-01T00:00:00.000Z' }],
    });
    expect(rolledBackAlias(legacy, '2026-01-01T00:00:00.000Z')).toBeUndefined();
  });
});
