import { afterEach, describe, expect, it } from 'vitest';
import { createRedisCounterStore } from '../../src/modules/users/login-throttle.js';
import { createStreamerThrottle, STREAMER_FAILURES_PER_WINDOW } from '../../src/modules/users/streamer-throttle.js';
import { backends, buildTestApp, redisUrl, type TestApp } from '../helpers/app.js';

const USER = 'streamer-user';
const PASSWORD = 'streamer-password-0123456789';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Memory always; Redis too when TEST_REDIS_URL is set (never silently skipped). */
const stores: Array<'memory' | 'redis'> = redisUrl === undefined ? ['memory'] : ['memory', 'redis'];

describe.each(stores)('Data Streamer Basic brute-force throttle (%s store)', (store) => {
  let t: TestApp;
  afterEach(async () => {
    if (store === 'redis') {
      const keys = await t.deps.redis!.keys(`${t.config.redisPrefix}streamer-auth:*`);
      if (keys.length > 0) await t.deps.redis!.del(...keys);
    }
    await t.close();
  });

  const post = (authorization: string | undefined, remoteAddress: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/streams/1nce',
      headers: { 'content-type': 'application/json', ...(authorization !== undefined && { authorization }) },
      payload: '[]',
      remoteAddress,
    });

  it(`answers 429 with Retry-After after ${STREAMER_FAILURES_PER_WINDOW} failures from one address, even for the right password`, async () => {
    t = await buildTestApp({
      backend: store === 'redis' ? backends[backends.length - 1]! : 'pglite',
      redis: store === 'redis',
      env: { STREAMER_USERNAME: USER, STREAMER_PASSWORD: PASSWORD, API_RATE_LIMIT_RPS: '100000' },
    });
    const attacker = '198.51.100.7';
    for (let i = 0; i < STREAMER_FAILURES_PER_WINDOW; i++) {
      const guess = await post(i % 3 === 0 ? undefined : basic(USER, `guess-${i}`), attacker);
      expect(guess.statusCode).toBe(401);
    }
    for (const authorization of [basic(USER, 'one-more-guess'), basic(USER, PASSWORD)]) {
      const blocked = await post(authorization, attacker);
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(blocked.json()).toMatchObject({ code: 'streamer_throttled', status: 429 });
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(300);
    }
    // Another source (1NCE's own) is not affected.
    expect((await post(basic(USER, PASSWORD), '192.0.2.10')).statusCode).toBe(200);

    const metrics = await t.deps.metrics.registry.getSingleMetricAsString('simfleet_auth_attempts_total');
    expect(metrics).toMatch(/method="streamer",result="throttled"} 2/);
    expect(metrics).toMatch(new RegExp(`method="streamer",result="failure"} ${STREAMER_FAILURES_PER_WINDOW}`));

    if (store === 'redis') {
      // Shared by every replica: a second process on the same prefix sees the same budget used up.
      const otherReplica = createStreamerThrottle(createRedisCounterStore(t.deps.redis!, `${t.config.redisPrefix}streamer-auth:`));
      await expect(otherReplica.check(attacker)).rejects.toMatchObject({ code: 'streamer_throttled' });
      await expect(otherReplica.check('192.0.2.10')).resolves.toBe(0);
    }
  });

  it('clears an address once it authenticates, so a corrected misconfiguration does not linger', async () => {
    t = await buildTestApp({
      backend: store === 'redis' ? backends[backends.length - 1]! : 'pglite',
      redis: store === 'redis',
      env: { STREAMER_USERNAME: USER, STREAMER_PASSWORD: PASSWORD, API_RATE_LIMIT_RPS: '100000' },
    });
    const source = '192.0.2.44';
    for (let i = 0; i < STREAMER_FAILURES_PER_WINDOW - 1; i++) expect((await post(basic(USER, 'old-password'), source)).statusCode).toBe(401);
    expect((await post(basic(USER, PASSWORD), source)).statusCode).toBe(200);
    for (let i = 0; i < STREAMER_FAILURES_PER_WINDOW - 1; i++) expect((await post(basic(USER, 'old-password'), source)).statusCode).toBe(401);
    expect((await post(basic(USER, PASSWORD), source)).statusCode).toBe(200);
  });
});
