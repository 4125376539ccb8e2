import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLoginThrottle,
  createMemoryCounterStore,
  createRedisCounterStore,
  FAILURES_PER_WINDOW,
  withFallback,
  type CounterStore,
} from '../../../src/modules/users/login-throttle.js';
import { redisUrl } from '../../helpers/app.js';

const stores: Array<'memory' | 'redis'> = redisUrl === undefined ? ['memory'] : ['memory', 'redis'];

async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as { status: number; code: string; headers: Record<string, string> };
  }
  return undefined;
}

describe.each(stores)('login throttle (%s)', (kind) => {
  let redis: Redis | undefined;
  let store: CounterStore;

  beforeEach(() => {
    if (kind === 'redis') {
      redis ??= new Redis(redisUrl!);
      store = createRedisCounterStore(redis, `test:${randomBytes(6).toString('hex')}:login:`);
    } else {
      store = createMemoryCounterStore();
    }
  });
  afterAll(() => redis?.disconnect());

  it(`throttles a username after ${FAILURES_PER_WINDOW} failures with a Retry-After`, async () => {
    const throttle = createLoginThrottle(store);
    for (let i = 0; i < FAILURES_PER_WINDOW; i++) {
      await throttle.check(`10.0.0.${i}`, 'alice');
      await throttle.recordFailure(`10.0.0.${i}`, 'alice');
    }
    const error = await rejection(throttle.check('10.0.0.99', 'ALICE '));
    expect(error).toMatchObject({ status: 429, code: 'login_throttled' });
    const retryAfter = Number(error!.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another username from a fresh IP is unaffected.
    await expect(throttle.check('10.0.1.1', 'bob')).resolves.toBeUndefined();
  });

  it('throttles an IP that tries many usernames', async () => {
    const throttle = createLoginThrottle(store);
    for (let i = 0; i < FAILURES_PER_WINDOW; i++) await throttle.recordFailure('192.0.2.5', `user${i}`);
    expect(await rejection(throttle.check('192.0.2.5', 'someone-new'))).toMatchObject({ status: 429, code: 'login_throttled' });
  });

  it('locks the username for 15 minutes after repeated attempts', async () => {
    const throttle = createLoginThrottle(store);
    for (let i = 0; i < FAILURES_PER_WINDOW; i++) await throttle.recordFailure(`10.1.0.${i}`, 'carol');
    let last: Awaited<ReturnType<typeof rejection>>;
    for (let i = 0; i < 10 && last?.code !== 'login_locked'; i++) last = await rejection(throttle.check(`10.2.0.${i}`, 'carol'));
    expect(last).toMatchObject({ status: 429, code: 'login_locked' });
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(60);
    expect(await rejection(throttle.check('10.3.0.1', 'carol'))).toMatchObject({ code: 'login_locked' });
  });

  it('clears the username counters on success, but not the IP counters', async () => {
    const throttle = createLoginThrottle(store);
    for (let i = 0; i < FAILURES_PER_WINDOW - 1; i++) await throttle.recordFailure('198.51.100.1', 'dave');
    await throttle.recordSuccess('dave');
    await throttle.recordFailure('198.51.100.2', 'dave');
    await expect(throttle.check('198.51.100.3', 'dave')).resolves.toBeUndefined();
    await throttle.recordFailure('198.51.100.1', 'erin');
    expect(await rejection(throttle.check('198.51.100.1', 'frank'))).toMatchObject({ code: 'login_throttled' });
  });
});

describe('login throttle windows (memory, controlled clock)', () => {
  it('lets the same username try again once the minute has passed', async () => {
    let now = 1_000_000;
    const throttle = createLoginThrottle(createMemoryCounterStore(() => now));
    for (let i = 0; i < FAILURES_PER_WINDOW; i++) await throttle.recordFailure('10.9.0.1', 'gina');
    expect(await rejection(throttle.check('10.9.0.1', 'gina'))).toMatchObject({ code: 'login_throttled' });
    now += 61_000;
    await expect(throttle.check('10.9.0.1', 'gina')).resolves.toBeUndefined();
  });

  it('falls back to memory counters when Redis fails, instead of disabling the throttle', async () => {
    const broken: CounterStore = {
      increment: () => Promise.reject(new Error('down')),
      read: () => Promise.reject(new Error('down')),
      delete: () => Promise.reject(new Error('down')),
    };
    const throttle = createLoginThrottle(withFallback(broken, createMemoryCounterStore()));
    for (let i = 0; i < FAILURES_PER_WINDOW; i++) await throttle.recordFailure('10.8.0.1', 'hank');
    expect(await rejection(throttle.check('10.8.0.1', 'hank'))).toMatchObject({ code: 'login_throttled' });
  });
});
