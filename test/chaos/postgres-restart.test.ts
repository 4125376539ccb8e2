/**
 * PostgreSQL restarted under traffic, with a real platform process (the built server, demo mode,
 * ROLE=all) on a PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port): readiness
 * goes 503 while the server is down and back to 200 once it returns, in the same process; API
 * requests meanwhile answer 503 `database_unavailable` with Retry-After, never 500, and none hangs
 * past its timeout. Needs PostgreSQL's server binaries (/usr/lib/postgresql/<n>/bin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordFigures } from './figures.js';
import { postgresBinDir, startOwnPostgres, startPlatform, type OwnPostgres, type Platform } from './processes.js';

const binDir = postgresBinDir();
const targets = binDir === undefined ? [] : ['own cluster'];
const PASSWORD = 'violet-Harbor-kettle-42';
/** What a client would wait at most; the pool's connect timeout (10 s) is below it. */
const CLIENT_TIMEOUT_MS = 15_000;
const OUTAGE_MS = 4_000;

interface Sample {
  at: number;
  path: string;
  status: number;
  ms: number;
  code?: string;
  retryAfter?: string;
}

describe.each(targets)('PostgreSQL restarted under traffic (%s)', () => {
  let pg: OwnPostgres;
  let platform: Platform;
  let dataDir: string;
  const samples: Sample[] = [];
  let pid: number | undefined;
  const phases = { stoppedAt: 0, startedAt: 0, readyAgainAt: 0, apiAgainAt: 0 };

  beforeAll(async () => {
    pg = await startOwnPostgres(binDir!);
    dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-chaos-data-'));
    platform = await startPlatform({
      DATABASE_URL: pg.url,
      DATA_DIR: dataDir,
      ROLE: 'all',
      SIMULATOR_PORT: '0',
      SIMULATOR_FLEET_SIZE: '50',
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: PASSWORD,
      API_RATE_LIMIT_RPS: '10000',
    });
    pid = platform.child.pid;
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
    pg?.destroy();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while PostgreSQL is down, recovers by itself, never 500, never hangs', { timeout: 60_000 }, async () => {
    const login = await fetch(`${platform.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { access_token: string }).access_token;
    const t0 = performance.now();

    const probe = async (pathname: string) => {
      const started = performance.now();
      try {
        const response = await fetch(`${platform.url}${pathname}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
        const body = (await response.json().catch(() => ({}))) as { code?: string };
        samples.push({
          at: started - t0,
          path: pathname,
          status: response.status,
          ms: performance.now() - started,
          ...(body.code !== undefined && { code: body.code }),
          ...(response.headers.get('retry-after') !== null && { retryAfter: response.headers.get('retry-after')! }),
        });
        return response.status;
      } catch {
        samples.push({ at: started - t0, path: pathname, status: 0, ms: performance.now() - started });
        return 0;
      }
    };

    let running = true;
    const traffic = (async () => {
      while (running) {
        await Promise.all([probe('/health/ready'), probe('/api/v1/sims?page_size=5'), probe('/api/v1/fleet/summary'), probe('/api/v1/audit?page_size=5')]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    phases.stoppedAt = performance.now() - t0;
    pg.stop();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    phases.startedAt = performance.now() - t0;
    pg.start();
    // Recovery: readiness and the API answer 200 again, without restarting the process.
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline && (phases.readyAgainAt === 0 || phases.apiAgainAt === 0)) {
      const recent = samples.filter((s) => s.at > phases.startedAt);
      phases.readyAgainAt ||= recent.find((s) => s.path === '/health/ready' && s.status === 200)?.at ?? 0;
      phases.apiAgainAt ||= recent.find((s) => s.path.startsWith('/api/v1/sims') && s.status === 200)?.at ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    running = false;
    await traffic;

    const during = samples.filter((s) => s.at > phases.stoppedAt + 300 && s.at < phases.startedAt);
    expect(during.some((s) => s.path === '/health/ready' && s.status === 503), 'readiness 503 while down').toBe(true);
    expect(phases.readyAgainAt, 'readiness 200 again').toBeGreaterThan(0);
    expect(phases.apiAgainAt, 'API 200 again').toBeGreaterThan(0);
    // Same process throughout.
    expect(platform.child.exitCode).toBeNull();
    expect(platform.child.pid).toBe(pid);

    const api = samples.filter((s) => s.path.startsWith('/api/'));
    expect(api.filter((s) => s.status === 500 || s.status === 0), 'no 500, no hang or reset').toEqual([]);
    for (const s of api) expect([200, 503], `${s.path} ${s.status} ${s.code}`).toContain(s.status);
    for (const s of api.filter((x) => x.status === 503)) {
      expect(s.code).toBe('database_unavailable');
      expect(s.retryAfter).toMatch(/^\d+$/);
    }
    expect(api.some((s) => s.status === 503), 'the outage reached the API').toBe(true);
    const slowest = Math.max(...samples.map((s) => s.ms));
    expect(slowest).toBeLessThan(CLIENT_TIMEOUT_MS);

    // A write after recovery works: a fresh login (session row + audit row).
    const again = await fetch(`${platform.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    expect(again.status).toBe(200);

    const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
    recordFigures('postgres-restart', {
      outageMs: Math.round(phases.startedAt - phases.stoppedAt),
      requests: samples.length,
      statuses: Object.fromEntries([...new Set(samples.map((s) => s.status))].map((st) => [st, samples.filter((s) => s.status === st).length])),
      readyAgainAfterStartMs: Math.round(phases.readyAgainAt - phases.startedAt),
      apiAgainAfterStartMs: Math.round(phases.apiAgainAt - phases.startedAt),
      slowestMs: Math.round(slowest),
      p99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
      slowestDuringOutageMs: Math.round(Math.max(0, ...during.map((s) => s.ms))),
      sameProcess: true,
    });
  });
});

describe('PostgreSQL restart chaos', () => {
  it('runs where PostgreSQL server binaries are installed', () => {
    if (binDir === undefined) console.warn('SKIPPED: PostgreSQL restart chaos needs /usr/lib/postgresql/<n>/bin (initdb, pg_ctl)');
    if (process.env.REQUIRE_CHAOS_TOOLS === '1') expect(binDir, 'REQUIRE_CHAOS_TOOLS=1 but initdb/pg_ctl are missing').toBeDefined();
    expect(targets).toEqual(binDir === undefined ? [] : ['own cluster']);
  });
});
