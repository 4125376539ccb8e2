import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../helpers/db.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';

describe.each(backends)('scheduler API (%s)', (backend) => {
  let t: TestApp;
  // Each suite gets its own engine schema so parallel suites on one PostgreSQL never share queues.
  const jobsSchema = `jobs_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { CHECK_QUOTAS_INTERVAL_MINUTES: '10', CLEANUP_CRON: '30 3 * * *', JOBS_SCHEMA: jobsSchema } });
  });
  afterAll(async () => {
    await t.close();
    if (backend === 'postgres') {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop schema if exists ${jobsSchema} cascade`).finally(() => client.end());
    }
  });

  it('answers 503 on run-now while the engine is not running in this process', async () => {
    const admin = await authHeaders(t, 'admin');
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/scheduler/jobs/cleanup/run', headers: admin });
    expect(response.statusCode).toBe(503);
    const status = await t.app.inject({ method: 'GET', url: '/api/v1/scheduler/status', headers: admin });
    expect(status.json()).toMatchObject({ engine_started: false });
  });

  it('lists every schedule with next run and queue depth, runs a job now for admins only, and shows the run', { timeout: 60_000 }, async () => {
    await t.deps.jobs.start();
    const viewer = await authHeaders(t, 'viewer');
    const operator = await authHeaders(t, 'operator');
    const admin = await authHeaders(t, 'admin');

    const status = await t.app.inject({ method: 'GET', url: '/api/v1/scheduler/status', headers: viewer });
    expect(status.statusCode).toBe(200);
    const jobs = status.json().jobs as Array<{ name: string; cron: string | null; next_run_at: string | null; queue_depth: number | null }>;
    const byName = new Map(jobs.map((j) => [j.name, j]));
    expect(byName.get('check-quotas')).toMatchObject({ cron: '*/10 * * * *', queue_depth: expect.any(Number) });
    expect(byName.get('cleanup')).toMatchObject({ cron: '30 3 * * *' });
    const next = new Date(byName.get('cleanup')!.next_run_at!);
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([3, 30]);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    expect((await t.app.inject({ method: 'POST', url: '/api/v1/scheduler/jobs/cleanup/run', headers: operator })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/scheduler/jobs/nope/run', headers: admin })).statusCode).toBe(404);
    const run = await t.app.inject({ method: 'POST', url: '/api/v1/scheduler/jobs/cleanup/run', headers: admin });
    expect(run.statusCode).toBe(202);
    expect(run.json()).toMatchObject({ name: 'cleanup', job_id: expect.any(String) });

    const deadline = Date.now() + 30_000;
    type LastRun = { outcome: string; items: number | null; worker_id: string | null; duration_ms: number | null } | null;
    let last: LastRun = null;
    while (Date.now() < deadline) {
      const s = await t.app.inject({ method: 'GET', url: '/api/v1/scheduler/status', headers: viewer });
      last = (s.json().jobs as Array<{ name: string; last_run: LastRun }>).find((j) => j.name === 'cleanup')!.last_run;
      if (last !== null && last.outcome !== 'running') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(last).toMatchObject({ outcome: 'success', items: 0, worker_id: t.deps.jobs.workerId, duration_ms: expect.any(Number) });
    const runs = await t.app.inject({ method: 'GET', url: '/api/v1/scheduler/jobs/cleanup/runs', headers: viewer });
    expect(runs.json().items).toHaveLength(1);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/simfleet_job_runs_total\{job="cleanup",outcome="success"\} 1/);
  });
});
