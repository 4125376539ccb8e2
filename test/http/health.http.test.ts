import { afterEach, describe, expect, it } from 'vitest';
import { backends, buildTestApp, redisUrl, type TestApp } from '../helpers/app.js';

describe.each(backends)('health on %s', (backend) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('answers liveness without touching dependencies', async () => {
    t = await buildTestApp({ backend });
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', service: 'simfleet' });
    const live = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(live.json()).toEqual({ status: 'alive' });
  });

  it('is ready when the database answers, with per-check detail', async () => {
    t = await buildTestApp({ backend });
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.checks.database.status).toBe('up');
    expect(body.checks.redis).toBeUndefined();
  });

  it('reports 503 with the failing check when the database is gone, while liveness stays 200', async () => {
    t = await buildTestApp({ backend });
    await t.deps.database.close();
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not_ready', checks: { database: { status: 'down' } } });
    expect(res.json().checks.database.error).toEqual(expect.any(String));
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('reports 503 while shutting down so load balancers drain the replica', async () => {
    t = await buildTestApp({ backend });
    t.deps.lifecycle.shuttingDown = true;
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.lifecycle.status).toBe('down');
  });
});

describe('readiness with Redis', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('reports an unreachable Redis as down (503) while the API keeps serving', async () => {
    // Port 1 on loopback refuses connections: a Redis that "went away".
    t = await buildTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks).toMatchObject({ database: { status: 'up' }, redis: { status: 'down' } });
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    // The cache degrades to misses instead of failing callers.
    await expect(t.deps.cache.wrap('k', 10, () => Promise.resolve(42))).resolves.toBe(42);
  });

  it.each(redisUrl === undefined ? [] : [redisUrl])('checks a reachable Redis (%s)', async () => {
    t = await buildTestApp({ redis: true });
    await t.deps.redis!.ping().catch(() => undefined);
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json().checks.redis.status).toBe('up');
  });
});
