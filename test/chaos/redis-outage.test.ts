/**
 * Redis stopped and restarted under traffic (a redis-server of the test's own, killed with SIGKILL):
 *
 * - the provider rate governor falls back to this process's share of each 1NCE budget (interval x
 *   peers) and shares the Redis budget again once Redis is back;
 * - two real platform processes (the built server, on a PostgreSQL cluster of the test's own) keep
 *   serving; the per-caller API limit falls back to a per-process share (limit / 2), so the
 *   installation as a whole stays near the limit, then is shared through Redis again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/cache.js';
import { createGovernor } from '../../src/provider/governor.js';
import { recordFigures } from './figures.js';
import { postgresBinDir, redisServerPath, startOwnPostgres, startOwnRedis, startPlatform, type OwnPostgres, type OwnRedis, type Platform } from './processes.js';

const redisBinary = redisServerPath();
const pgBin = postgresBinDir();
const PASSWORD = 'violet-Harbor-kettle-42';
const API_LIMIT = 30;
const figures: Record<string, unknown> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(redisBinary === undefined ? [] : ['own redis-server'])('Redis outage: provider governor (%s)', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await startOwnRedis(redisBinary!);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('paces at its share (1 / peers) while Redis is down and shares the budget again after', { timeout: 40_000 }, async () => {
    const client = createRedisClient(redis.url);
    try {
      await waitFor(() => client.status === 'ready', 5_000, 'redis ready');
      const governor = createGovernor({ redis: client, keyPrefix: `chaos:${Date.now()}`, peers: () => 2, limits: { sims: { limit: 20, windowMs: 1000, burst: 1 } } });
      const gap = async () => {
        await governor.acquire('sims', { scope: 'acct', priority: 'interactive' });
        const started = performance.now();
        for (let i = 0; i < 8; i++) await governor.acquire('sims', { scope: 'acct', priority: 'interactive' });
        return (performance.now() - started) / 8;
      };
      const interval = governor.intervalMs('sims');
      const shared = await gap();
      await redis.stop();
      await waitFor(() => client.status !== 'ready', 5_000, 'redis client to notice');
      const alone = await gap();
      await redis.start();
      await waitFor(() => client.status === 'ready', 10_000, 'redis client to reconnect');
      const resumed = await gap();
      figures.governor = { intervalMs: Math.round(interval), sharedGapMs: Math.round(shared), redisDownGapMs: Math.round(alone), resumedGapMs: Math.round(resumed), peers: 2 };
      // One interval per grant while shared; two (the share of one of two peers) while Redis is down.
      expect(shared).toBeLessThan(interval * 1.5);
      expect(alone).toBeGreaterThan(interval * 1.7);
      expect(resumed).toBeLessThan(interval * 1.5);
    } finally {
      client.disconnect();
    }
  });
});

const processTargets = redisBinary !== undefined && pgBin !== undefined ? ['two platform processes'] : [];

describe.each(processTargets)('Redis outage: %s keep serving, the API limit falls back to a share', () => {
  let redis: OwnRedis;
  let pg: OwnPostgres;
  let a: Platform;
  let b: Platform;
  let dataDir: string;
  let token = '';

  beforeAll(async () => {
    redis = await startOwnRedis(redisBinary!);
    pg = await startOwnPostgres(pgBin!);
    dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-chaos-redis-'));
    const env = {
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      ROLE: 'api',
      SIMULATOR_PORT: '0',
      SIMULATOR_FLEET_SIZE: '20',
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: PASSWORD,
      API_RATE_LIMIT_RPS: String(API_LIMIT),
    };
    a = await startPlatform(env);
    b = await startPlatform(env);
    const login = await fetch(`${a.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    token = ((await login.json()) as { access_token: string }).access_token;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    pg?.destroy();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Hammers the given processes for `ms` with 4 concurrent callers each; 2xx per second and every status seen. */
  async function hammer(targets: Platform[], ms: number) {
    const statuses: Record<number, number> = {};
    let ok = 0;
    const until = performance.now() + ms;
    const started = performance.now();
    await Promise.all(
      targets.flatMap((p) =>
        Array.from({ length: 4 }, async () => {
          while (performance.now() < until) {
            const response = await fetch(`${p.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
            await response.arrayBuffer();
            statuses[response.status] = (statuses[response.status] ?? 0) + 1;
            if (response.status === 200) ok++;
          }
        }),
      ),
    );
    return { perSecond: ok / ((performance.now() - started) / 1000), statuses };
  }

  it('keeps serving through the outage with limit / 2 per process, then shares the limit again', { timeout: 60_000 }, async () => {
    // Both processes have counted each other (heartbeats every 5 s).
    await sleep(6_000);
    const shared = await hammer([a], 2_500);
    const sharedBoth = await hammer([a, b], 2_500);

    await redis.stop();
    await sleep(500);
    const downA = await hammer([a], 2_500);
    const downBoth = await hammer([a, b], 2_500);
    const ready = await fetch(`${a.url}/health/ready`);

    await redis.start();
    // ioredis reconnects with backoff (at most 5 s between attempts).
    await sleep(6_000);
    const resumed = await hammer([a], 2_500);

    figures.api = { limitPerSecond: API_LIMIT, shared, sharedBoth, redisDownOneProcess: downA, redisDownBothProcesses: downBoth, resumed, readinessWhileDown: ready.status };
    for (const phase of [shared, sharedBoth, downA, downBoth, resumed]) {
      // Serving throughout: only 200s and the limit's 429s.
      expect(Object.keys(phase.statuses).map(Number).filter((s) => s !== 200 && s !== 429)).toEqual([]);
      expect(phase.statuses[200] ?? 0).toBeGreaterThan(0);
    }
    // Shared: one process alone gets the whole limit, two together still the limit.
    expect(shared.perSecond).toBeGreaterThan(API_LIMIT * 0.7);
    expect(sharedBoth.perSecond).toBeLessThan(API_LIMIT * 1.5);
    // Redis down: each process enforces half, so one alone gets about half and both together about the limit.
    expect(downA.perSecond).toBeLessThan(API_LIMIT * 0.7);
    expect(downBoth.perSecond).toBeLessThan(API_LIMIT * 1.5);
    // Back: shared again.
    expect(resumed.perSecond).toBeGreaterThan(API_LIMIT * 0.7);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  });
});

describe('Redis outage chaos', () => {
  it('runs where redis-server (and PostgreSQL binaries for the process part) are installed', () => {
    if (redisBinary === undefined) console.warn('SKIPPED: Redis outage chaos needs redis-server on the PATH');
    if (pgBin === undefined) console.warn('SKIPPED: the two-process Redis outage test needs /usr/lib/postgresql/<n>/bin');
    if (process.env.REQUIRE_CHAOS_TOOLS === '1') expect([redisBinary, pgBin].includes(undefined), 'REQUIRE_CHAOS_TOOLS=1 but redis-server or the PostgreSQL binaries are missing').toBe(false);
    recordFigures('redis-outage', figures);
    expect(processTargets.length).toBe(redisBinary !== undefined && pgBin !== undefined ? 1 : 0);
  });
});
