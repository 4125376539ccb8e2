import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryCache, createRedisCache, createRedisClient, waitForRedis, type Cache } from './cache.js';

const redisUrl = process.env.TEST_REDIS_URL || undefined;

type Factory = () => Promise<{ cache: Cache; advance: (ms: number) => void; close: () => Promise<void> }>;

const memory: Factory = async () => {
  let now = 1_000_000;
  return { cache: createMemoryCache(undefined, () => now), advance: (ms) => (now += ms), close: async () => undefined };
};

const redis: Factory = async () => {
  const client = createRedisClient(redisUrl!);
  if (!(await waitForRedis(client, 5_000))) throw new Error('TEST_REDIS_URL did not answer');
  return {
    cache: createRedisCache(client, `test:${randomBytes(6).toString('hex')}:cache:`),
    // Redis expiry runs on its own clock; TTL tests for Redis use real (short) waits instead.
    advance: () => undefined,
    close: async () => {
      client.disconnect();
    },
  };
};

const stores: Array<[string, Factory]> = [['memory', memory], ...(redisUrl ? [['redis', redis] as [string, Factory]] : [])];

describe.each(stores)('%s cache', (kind, factory) => {
  it('stores, reads, deletes and expires values', async () => {
    const { cache, advance, close } = await factory();
    try {
      await cache.set('a', { n: 1, list: [1, 2] }, kind === 'memory' ? 10 : 0.3);
      expect(await cache.get('a')).toEqual({ n: 1, list: [1, 2] });
      await cache.delete('a');
      expect(await cache.get('a')).toBeUndefined();

      await cache.set('b', 'v', kind === 'memory' ? 10 : 0.3);
      if (kind === 'memory') advance(10_001);
      else await new Promise((r) => setTimeout(r, 450));
      expect(await cache.get('b')).toBeUndefined();
    } finally {
      await close();
    }
  });

  it('deletes by prefix and nothing else', async () => {
    const { cache, close } = await factory();
    try {
      for (let i = 0; i < 1200; i++) await cache.set(`sims:${i}`, i, 60);
      await cache.set('sim:x', 'other', 60);
      await cache.set('usage:1', 'u', 60);
      expect(await cache.deleteByPrefix('sims:')).toBe(1200);
      expect(await cache.get('sims:7')).toBeUndefined();
      expect(await cache.get('sim:x')).toBe('other');
      expect(await cache.get('usage:1')).toBe('u');
    } finally {
      await close();
    }
  });

  it('reads several keys in one call, counters included', async () => {
    const { cache, close } = await factory();
    try {
      await cache.set('m:a', { n: 1 }, 60);
      expect(await cache.getMany(['m:a', 'm:none', 'm:gen'])).toEqual([{ n: 1 }, undefined, undefined]);
      expect(await cache.increment('m:gen')).toBe(1);
      expect(await cache.increment('m:gen')).toBe(2);
      expect(await cache.getMany(['m:gen', 'm:a'])).toEqual([2, { n: 1 }]);
      expect(await cache.get('m:gen')).toBe(2);
      expect(await cache.getMany([])).toEqual([]);
      await cache.deleteByPrefix('m:');
      expect(await cache.getMany(['m:gen', 'm:a'])).toEqual([undefined, undefined]);
    } finally {
      await close();
    }
  });

  it('wraps a computation: one call for concurrent misses, none on a hit', async () => {
    const { cache, close } = await factory();
    try {
      let calls = 0;
      const compute = async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        return { value: 42 };
      };
      const results = await Promise.all([1, 2, 3, 4].map(() => cache.wrap('w', 60, compute)));
      expect(results).toEqual([{ value: 42 }, { value: 42 }, { value: 42 }, { value: 42 }]);
      expect(calls).toBe(1);
      expect(await cache.wrap('w', 60, compute)).toEqual({ value: 42 });
      expect(calls).toBe(1);
    } finally {
      await close();
    }
  });
});

describe('memory cache', () => {
  it('returns copies, so callers cannot mutate what is cached', async () => {
    const cache = createMemoryCache();
    const value = { tags: ['a'] };
    await cache.set('k', value, 60);
    value.tags.push('b');
    const read = await cache.get<{ tags: string[] }>('k');
    read!.tags.push('c');
    expect(await cache.get('k')).toEqual({ tags: ['a'] });
  });

  it('round-trips values as JSON, like Redis, so both stores give callers the same types', async () => {
    const cache = createMemoryCache();
    await cache.set('d', { at: new Date('2026-11-24T10:00:00.000Z'), n: 1 }, 60);
    expect(await cache.get('d')).toEqual({ at: '2026-11-24T10:00:00.000Z', n: 1 });
  });

  it('evicts the oldest entries past its size bound', async () => {
    const cache = createMemoryCache(undefined, Date.now, 3);
    for (const k of ['a', 'b', 'c', 'd']) await cache.set(k, k, 60);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('d')).toBe('d');
    expect(cache.size().entries).toBe(3);
  });

  it('sweeps expired entries that are never read again, so it holds the last TTL of traffic, not all of it', async () => {
    let now = 0;
    const cache = createMemoryCache(undefined, () => now);
    await cache.set('usage-gen:1', 'g1', 86_400);
    // Distinct keys at 20 a second for 10 minutes, each cached for 30 s and never read again
    // (random single-SIM reads over a large fleet): 12,000 writes, far below the size bound.
    for (let i = 0; i < 12_000; i++) {
      await cache.set(`sim:${i}`, { iccid: String(i) }, 30);
      now += 50;
    }
    // The last 30 s of writes (600), the few expired since the sweep last went round the map (about
    // 640 / 16 writes' worth, 2 s), and the long-lived entry.
    expect(cache.size().entries).toBeLessThanOrEqual(20 * 32 + 1);
    expect(await cache.get('usage-gen:1')).toBe('g1');
    expect(await cache.get(`sim:${11_999}`)).toEqual({ iccid: '11999' });
  });

  it('counts hits and misses', async () => {
    const seen: string[] = [];
    const cache = createMemoryCache({ lookup: (r) => seen.push(r) });
    await cache.get('x');
    await cache.set('x', 1, 60);
    await cache.get('x');
    await cache.getMany(['x', 'y']);
    expect(seen).toEqual(['miss', 'hit', 'hit', 'miss']);
  });

  it('never expires or evicts counters', async () => {
    let now = 0;
    const cache = createMemoryCache(undefined, () => now, 2);
    await cache.increment('gen');
    for (const k of ['a', 'b', 'c', 'd']) await cache.set(k, k, 1);
    now += 10 * 86_400_000;
    expect(await cache.get('gen')).toBe(1);
    expect(await cache.increment('gen')).toBe(2);
  });
});

describe('redis cache during an outage', () => {
  it('degrades to misses and keeps callers working', async () => {
    const client = createRedisClient('redis://127.0.0.1:1');
    const seen: string[] = [];
    const cache = createRedisCache(client, 'x:', { lookup: (r) => seen.push(r) });
    try {
      await expect(cache.set('k', 1, 60)).resolves.toBeUndefined();
      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.wrap('k', 60, () => Promise.resolve('computed'))).toBe('computed');
      await expect(cache.deleteByPrefix('k')).resolves.toBe(0);
      expect(await cache.getMany(['k', 'l'])).toEqual([undefined, undefined]);
      expect(await cache.increment('k')).toBeUndefined();
      await expect(cache.ping()).rejects.toThrow();
      expect(seen).toContain('error');
    } finally {
      client.disconnect();
    }
  });
});
