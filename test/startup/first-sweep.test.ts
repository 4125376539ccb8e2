import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { requestFirstSweep } from '../../src/server.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';

/**
 * One install, one first sweep: whatever the number of replicas and however far the first sweep
 * has got when a later replica starts, only one is ever queued.
 */
describe.each(backends)('first fleet sweep (%s)', (backend) => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    while (apps.length > 0) await apps.pop()!.close();
  });

  const firstSweepJobs = async (t: TestApp) => {
    const schema = t.config.jobsSchema;
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${schema}.job`)} where name = 'sync-sims'`.execute(t.deps.database.db);
    return rows[0]!.n;
  };

  it('is queued once, even when a later replica starts while it is already running', async () => {
    const t = await buildTestApp({ backend, simulator: { fleetSize: 20 }, env: { ROLE: 'api' } });
    apps.push(t);
    await t.deps.jobs.start();
    expect(await requestFirstSweep(t.deps, t.deps.logger)).toBe('queued');
    // The sweep is picked up by a worker: pg-boss's own singleton no longer stops a second send.
    await sql`update ${sql.table(`${t.config.jobsSchema}.job`)} set state = 'active', started_on = now() where name = 'sync-sims'`.execute(t.deps.database.db);
    // Replicas starting now still see no SIMs stored.
    const later = await Promise.all([1, 2, 3].map(() => requestFirstSweep(t.deps, t.deps.logger)));
    expect(later).toEqual(['already-requested', 'already-requested', 'already-requested']);
    expect(await firstSweepJobs(t)).toBe(1);
    const markers = await t.deps.database.db.selectFrom('install_markers').selectAll().execute();
    expect(markers.map((m) => m.key)).toEqual([`first-sweep:${t.accountId}`]);
  });

  it('is not queued for an install that already has SIMs, and never later', async () => {
    const t = await buildTestApp({ backend, simulator: { fleetSize: 20 }, env: { ROLE: 'api' } });
    apps.push(t);
    await t.deps.jobs.start();
    await t.deps.fleet.sync.sweep(t.accountId!, { priority: 'background', firstDetailsLimit: 0 });
    expect(await requestFirstSweep(t.deps, t.deps.logger)).toBe('not-needed');
    await t.deps.database.db.deleteFrom('sims').execute();
    expect(await requestFirstSweep(t.deps, t.deps.logger)).toBe('already-requested');
    expect(await firstSweepJobs(t)).toBe(0);
  });
});
