import { TtlCache } from '../../../functions/core/cache/ttl-cache';

describe('TtlCache', () => {
  it('expires entries after the TTL', () => {
    let now = 1000;
    const cache = new TtlCache<string, number>({ ttlMs: 100, now: () => now });
    cache.set('a', 1);

    now = 1099;
    expect(cache.get('a')).toBe(1);
    now = 1100;
    expect(cache.get('a')).toBeUndefined();
  });

  it('caches nothing with a TTL of 0', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 0 });
    let loads = 0;
    const load = async () => ++loads;

    await cache.getOrLoad('a', load);
    await cache.getOrLoad('a', load);

    expect(loads).toBe(2);
  });

  it('caches loaded values, undefined included', async () => {
    const cache = new TtlCache<string, number | undefined>({ ttlMs: 1000 });
    let loads = 0;
    const load = async () => {
      loads++;
      return undefined;
    };

    await cache.getOrLoad('missing', load);
    await cache.getOrLoad('missing', load);

    expect(loads).toBe(1);
  });

  it('drops the oldest entry beyond maxEntries', () => {
    const cache = new TtlCache<string, number>({ ttlMs: 1000, maxEntries: 2 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);

    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
    expect(cache.get('c')).toBe(3);
  });
});
