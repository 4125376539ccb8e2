import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import {
  createMemoryCache,
  createRedisCache,
  createRedisClient,
  waitForRedis,
  type Cache,
} from '../../../src/cache.js';
import type { ApiKeyWithOwner } from '../../../src/modules/users/api-keys.repo.js';
import {
  AUTH_CACHE_TTL_SECONDS,
  AUTH_GENERATION_KEY,
  createAuthCache,
  type AuthUser,
} from '../../../src/modules/users/auth-cache.js';
import { redisUrl } from '../../helpers/db.js';

interface Store {
  cache: Cache;
  /** Moves the memory store's clock (Redis expires on its own clock). */
  advance: (ms: number) => void;
  close: () => Promise<void>;
}

const memoryStore = (): Promise<Store> => {
  let now = 1_000_000;
  return Promise.resolve({
    cache: createMemoryCache(undefined, () => now),
    advance: (ms) => (now += ms),
    close: () => Promise.resolve(),
  });
};

const redisStore = async (): Promise<Store> => {
  const client = createRedisClient(redisUrl!);
  if (!(await waitForRedis(client, 5_000))) throw new Error('TEST_REDIS_URL did not answer');
  const cache = createRedisCache(client, `test:${randomBytes(6).toString('hex')}:cache:`);
  return {
    cache,
    advance: () => undefined,
    async close() {
      // The generation counter never expires: remove this test's keys.
      await cache.deleteByPrefix('');
      client.disconnect();
    },
  };
};

/** Memory always; Redis too when TEST_REDIS_URL is set (never silently skipped). */
const stores: Array<[string, () => Promise<Store>]> = [
  ['memory', memoryStore],
  ...(redisUrl ? [['redis', redisStore] as [string, () => Promise<Store>]] : []),
];

const keyRow = (overrides: Partial<ApiKeyWithOwner> = {}): ApiKeyWithOwner => ({
  id: '6f1c2b0e-0000-4000-8000-000000000001',
  user_id: 7,
  name: 'ci',
  secret_hash: 'ab'.repeat(32),
  role_cap: null,
  expires_at: new Date('2030-01-02T03:04:05.678Z'),
  last_used_at: null,
  revoked_at: null,
  owner_username: 'alice',
  owner_role: 'operator',
  owner_active: true,
  ...overrides,
});

const userRow = (overrides: Partial<AuthUser> = {}): AuthUser => ({
  id: 7,
  username: 'alice',
  role: 'operator',
  is_active: true,
  password_changed_at: new Date('2026-11-01T00:00:00.000Z'),
  ...overrides,
});

/** A database stand-in: counts loads and returns whatever `current` holds at load time. */
function fakeDb<T>(initial: T) {
  const db = {
    current: initial,
    loads: 0,
    load: () => {
      db.loads++;
      return Promise.resolve(db.current);
    },
  };
  return db;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(stores)('auth cache (%s store)', (_kind, open) => {
  it('answers from the cache after one load, with dates revived, and counts hits and misses', async () => {
    const store = await open();
    try {
      const seen: string[] = [];
      const auth = createAuthCache({ cache: store.cache, observer: { lookup: (r) => seen.push(r) } });
      const db = fakeDb<ApiKeyWithOwner | undefined>(keyRow());
      // The very first read finds no generation yet: database, nothing stored, counter created.
      expect(await auth.apiKey('abc', db.load)).toEqual(keyRow());
      expect(await store.cache.get(AUTH_GENERATION_KEY)).toBe(1);
      await auth.apiKey('abc', db.load);
      const cached = await auth.apiKey('abc', db.load);
      expect(db.loads).toBe(2);
      expect(cached).toEqual(keyRow());
      expect(cached!.expires_at).toBeInstanceOf(Date);
      expect(seen).toEqual(['miss', 'miss', 'hit']);

      const users = fakeDb<AuthUser | undefined>(userRow());
      await auth.user(7, users.load);
      const user = await auth.user(7, users.load);
      expect(users.loads).toBe(1);
      expect(user!.password_changed_at).toEqual(new Date('2026-11-01T00:00:00.000Z'));
    } finally {
      await store.close();
    }
  });

  it('never caches a miss (unknown prefix or user)', async () => {
    const store = await open();
    try {
      const auth = createAuthCache({ cache: store.cache });
      await store.cache.increment(AUTH_GENERATION_KEY);
      const db = fakeDb<ApiKeyWithOwner | undefined>(undefined);
      expect(await auth.apiKey('nope', db.load)).toBeUndefined();
      expect(await auth.apiKey('nope', db.load)).toBeUndefined();
      expect(db.loads).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('invalidate() makes the next read load again, for keys and users alike', async () => {
    const store = await open();
    try {
      const auth = createAuthCache({ cache: store.cache });
      await store.cache.increment(AUTH_GENERATION_KEY);
      const keys = fakeDb<ApiKeyWithOwner | undefined>(keyRow());
      const users = fakeDb<AuthUser | undefined>(userRow());
      await auth.apiKey('abc', keys.load);
      await auth.user(7, users.load);
      keys.current = keyRow({ revoked_at: new Date() });
      users.current = userRow({ role: 'viewer' });
      await auth.invalidate();
      expect((await auth.apiKey('abc', keys.load))!.revoked_at).toBeInstanceOf(Date);
      expect((await auth.user(7, users.load))!.role).toBe('viewer');
      expect([keys.loads, users.loads]).toEqual([2, 2]);
    } finally {
      await store.close();
    }
  });

  it('an invalidation racing a load leaves nothing that is accepted (generation read before the load)', async () => {
    const store = await open();
    try {
      const auth = createAuthCache({ cache: store.cache });
      await store.cache.increment(AUTH_GENERATION_KEY);
      const db = fakeDb<ApiKeyWithOwner | undefined>(keyRow());
      const gate = deferred<void>();
      // A slow load that read the row before the revocation committed.
      const slowLoad = async () => {
        const snapshot = db.current;
        await gate.promise;
        return snapshot;
      };
      const racing = auth.apiKey('abc', slowLoad);
      await new Promise((r) => setTimeout(r, 10));

      // The revocation commits and invalidates while that load is still in flight.
      db.current = keyRow({ revoked_at: new Date('2026-11-24T10:00:00Z') });
      await auth.invalidate();
      // A request arriving now does not join the older load: it reads (and caches) the revoked row.
      expect((await auth.apiKey('abc', db.load))!.revoked_at).toEqual(new Date('2026-11-24T10:00:00Z'));

      // The old load finishes last and overwrites the entry with the stale row, stamped with the old generation.
      gate.resolve();
      expect((await racing)!.revoked_at).toBeNull();
      expect(await store.cache.get('auth:entry:key:abc')).toMatchObject({
        gen: 1,
        value: { revoked_at: null },
      });

      // That entry is never served: the next read goes to the database.
      expect((await auth.apiKey('abc', db.load))!.revoked_at).toEqual(new Date('2026-11-24T10:00:00Z'));
      expect(db.loads).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('shares one load between concurrent misses of the same generation', async () => {
    const store = await open();
    try {
      const auth = createAuthCache({ cache: store.cache });
      await store.cache.increment(AUTH_GENERATION_KEY);
      const db = fakeDb<AuthUser | undefined>(userRow());
      await Promise.all([1, 2, 3, 4].map(() => auth.user(7, db.load)));
      expect(db.loads).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('a lost generation counter never lets an old entry through', async () => {
    const store = await open();
    try {
      const auth = createAuthCache({ cache: store.cache });
      await store.cache.increment(AUTH_GENERATION_KEY);
      const db = fakeDb<ApiKeyWithOwner | undefined>(keyRow());
      await auth.apiKey('abc', db.load);
      // Evicted or flushed: the entry may survive, the counter not.
      await store.cache.delete(AUTH_GENERATION_KEY);
      db.current = keyRow({ owner_active: false });
      expect((await auth.apiKey('abc', db.load))!.owner_active).toBe(false);
      expect(db.loads).toBe(2);
    } finally {
      await store.close();
    }
  });
});

describe('auth cache expiry and failures', () => {
  it('entries expire after the TTL', async () => {
    const store = await memoryStore();
    const auth = createAuthCache({ cache: store.cache });
    await store.cache.increment(AUTH_GENERATION_KEY);
    const db = fakeDb<AuthUser | undefined>(userRow());
    await auth.user(7, db.load);
    store.advance((AUTH_CACHE_TTL_SECONDS - 1) * 1000);
    await auth.user(7, db.load);
    expect(db.loads).toBe(1);
    store.advance(2_000);
    await auth.user(7, db.load);
    expect(db.loads).toBe(2);
  });

  it('falls back to the database on every read while the store is unreachable, and stores nothing', async () => {
    const client = createRedisClient('redis://127.0.0.1:1');
    const errors: string[] = [];
    const auth = createAuthCache({
      cache: createRedisCache(client, 'x:', { lookup: (r) => errors.push(r) }),
    });
    try {
      const db = fakeDb<ApiKeyWithOwner | undefined>(keyRow());
      expect(await auth.apiKey('abc', db.load)).toEqual(keyRow());
      db.current = keyRow({ revoked_at: new Date() });
      expect((await auth.apiKey('abc', db.load))!.revoked_at).not.toBeNull();
      expect(db.loads).toBe(2);
      expect(errors).toContain('error');
    } finally {
      auth.close();
      client.disconnect();
    }
  });

  it('after an invalidation that did not reach the store, this process reads the database until the TTL has passed, and retries', async () => {
    let now = 5_000_000;
    const store = createMemoryCache(undefined, () => now);
    let reachable = true;
    // The store as seen through a flaky link: increments fail while unreachable.
    const flaky: Cache = {
      ...store,
      increment: (key) => (reachable ? store.increment(key) : Promise.resolve(undefined)),
    };
    const warnings: string[] = [];
    // The retry is a timer: fake ones, so the test moves time instead of waiting for it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const auth = createAuthCache({
      cache: flaky,
      now: () => now,
      logger: { warn: (msg: string) => warnings.push(msg) } as never,
    });
    try {
      await store.increment(AUTH_GENERATION_KEY);
      const db = fakeDb<ApiKeyWithOwner | undefined>(keyRow());
      await auth.apiKey('abc', db.load);
      await auth.apiKey('abc', db.load);
      expect(db.loads).toBe(1);

      reachable = false;
      await auth.invalidate();
      expect(warnings).toHaveLength(1);
      await auth.apiKey('abc', db.load);
      await auth.apiKey('abc', db.load);
      expect(db.loads).toBe(3);

      // The retry runs once the store answers again and moves the generation on (retries are a second apart).
      reachable = true;
      await vi.advanceTimersByTimeAsync(999);
      expect(await store.get(AUTH_GENERATION_KEY)).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(await store.get(AUTH_GENERATION_KEY)).toBe(2);

      now += AUTH_CACHE_TTL_SECONDS * 1000;
      await auth.apiKey('abc', db.load);
      await auth.apiKey('abc', db.load);
      expect(db.loads).toBe(4);
    } finally {
      auth.close();
      vi.useRealTimers();
    }
  });
});
