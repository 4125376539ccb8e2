import { afterEach, describe, expect, it } from 'vitest';
import { backends, buildTestApp, redisUrl, type TestApp } from '../helpers/app.js';
import { createUser, GOOD_PASSWORD, signedIn } from '../modules/users/fixtures.js';

/** Memory always; Redis too when TEST_REDIS_URL is set (never silently skipped). */
const stores: Array<'memory' | 'redis'> = redisUrl === undefined ? ['memory'] : ['memory', 'redis'];

describe.each(stores)('login throttling and rate limits (%s store)', (store) => {
  let t: TestApp;
  const open = async (env: Record<string, string> = {}) => {
    // The Redis leg also uses real PostgreSQL when CI provides it.
    t = await buildTestApp({ backend: store === 'redis' ? backends[backends.length - 1]! : 'pglite', redis: store === 'redis', env });
    return t;
  };
  afterEach(async () => t.close());

  const attempt = (username: string, password: string, remoteAddress: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress });

  it('answers 429 with Retry-After after 5 failures a minute for one username, even with the right password', async () => {
    await open({ API_RATE_LIMIT_RPS: '100000' });
    const { user, password } = await createUser(t);
    for (let i = 0; i < 5; i++) expect((await attempt(user.username, 'wrong-password-x', `10.30.0.${i}`)).statusCode).toBe(401);
    const blocked = await attempt(user.username, password, '10.30.1.1');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['content-type']).toMatch(/problem\+json/);
    expect(blocked.json()).toMatchObject({ code: 'login_throttled' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    if (store === 'redis') {
      // Shared across replicas: the counters live in Redis under this deployment's prefix.
      expect(await t.deps.redis!.keys(`${t.config.redisPrefix}login:*`)).not.toHaveLength(0);
    }
    // Other users are unaffected.
    const other = await createUser(t);
    expect((await attempt(other.user.username, other.password, '10.30.2.1')).statusCode).toBe(200);
  });

  it('counts a user once whether they sign in by username or e-mail (one budget, one lock)', async () => {
    await open({ API_RATE_LIMIT_RPS: '100000' });
    const { user, password } = await createUser(t);
    const email = user.email!;
    // Five failures alternating username, e-mail and their case variants exhaust one shared budget.
    const names = [user.username, email, user.username.toUpperCase(), email.toUpperCase(), email];
    for (const [i, name] of names.entries()) expect((await attempt(name, 'wrong-password-x', `10.32.0.${i}`)).statusCode).toBe(401);
    for (const name of [email, user.username]) {
      const blocked = await attempt(name, password, '10.32.1.1');
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json()).toMatchObject({ code: 'login_throttled' });
    }
  });

  it('a locked username does not sign in by e-mail either', async () => {
    await open({ API_RATE_LIMIT_RPS: '100000' });
    const { user, password } = await createUser(t);
    for (let i = 0; i < 12; i++) await attempt(user.username, 'wrong-password-x', `10.33.0.${i}`);
    const byEmail = await attempt(user.email!, password, '10.33.9.9');
    expect(byEmail.statusCode).toBe(429);
    expect(byEmail.json()).toMatchObject({ code: 'login_locked' });
  });

  it('throttles one IP spraying many usernames', async () => {
    await open({ API_RATE_LIMIT_RPS: '100000' });
    for (let i = 0; i < 5; i++) expect((await attempt(`nobody${i}`, GOOD_PASSWORD, '203.0.113.9')).statusCode).toBe(401);
    const { user, password } = await createUser(t);
    expect((await attempt(user.username, password, '203.0.113.9')).statusCode).toBe(429);
    expect((await attempt(user.username, password, '203.0.113.10')).statusCode).toBe(200);
  });

  it('locks the account temporarily after repeated failures', async () => {
    await open({ API_RATE_LIMIT_RPS: '100000' });
    const { user, password } = await createUser(t);
    let last = await attempt(user.username, 'wrong-password-x', '10.31.0.0');
    for (let i = 1; i < 12; i++) last = await attempt(user.username, 'wrong-password-x', `10.31.0.${i}`);
    expect(last.statusCode).toBe(429);
    expect(last.json()).toMatchObject({ code: 'login_locked' });
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(60);
    expect((await attempt(user.username, password, '10.31.9.9')).json()).toMatchObject({ code: 'login_locked' });
  });

  it('limits each caller to API_RATE_LIMIT_RPS with RateLimit-* headers, separately per user and key', async () => {
    await open({ API_RATE_LIMIT_RPS: '3' });
    const alice = await signedIn(t, 'viewer');
    const bob = await signedIn(t, 'viewer');
    const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers });
    const first = await me(alice.headers);
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit-limit']).toBe('3');
    expect(first.headers['ratelimit-remaining']).toBe('2');
    expect(first.headers['ratelimit-reset']).toBeDefined();
    await me(alice.headers);
    await me(alice.headers);
    const limited = await me(alice.headers);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json()).toMatchObject({ code: 'rate_limited' });
    expect((await me(bob.headers)).statusCode).toBe(200);
    // Health and metrics are outside /api/v1 and never limited.
    for (let i = 0; i < 5; i++) expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
