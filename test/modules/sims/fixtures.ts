import { buildTestApp, type Backend, type TestApp } from '../../helpers/app.js';

/** Simulator request counts by "METHOD /route/template". */
export async function simulatorRequests(t: TestApp): Promise<Record<string, number>> {
  const response = await fetch(`${t.simulatorOrigin!}/_simulator/stats`);
  const stats = (await response.json()) as { requests: Record<string, number>; rateLimited: { total: number } };
  return stats.requests;
}

/** Simulator stats as served by /_simulator/stats. */
export async function simulatorStats(t: TestApp): Promise<{ requests: Record<string, number>; rateLimited: { total: number }; clock: { now: string } }> {
  const response = await fetch(`${t.simulatorOrigin!}/_simulator/stats`);
  return (await response.json()) as { requests: Record<string, number>; rateLimited: { total: number }; clock: { now: string } };
}

/** Moves the simulator's clock forward. */
export async function advanceSimulator(t: TestApp, seconds: number): Promise<void> {
  const response = await fetch(`${t.simulatorOrigin!}/_simulator/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ seconds }),
  });
  if (!response.ok) throw new Error(`advance failed: ${response.status}`);
}

/** Sweeps the simulated fleet into the database (no per-SIM details). */
export async function sweepFleet(t: TestApp, details = false) {
  return t.deps.fleet.sync.sweep(t.accountId!, { priority: 'interactive', details });
}

/** ICCIDs of stored SIMs, ordered. */
export async function storedIccids(t: TestApp): Promise<string[]> {
  const rows = await t.deps.database.db.selectFrom('sims').select('iccid').orderBy('iccid').execute();
  return rows.map((r) => r.iccid);
}

const ACTIVE_WINDOW_MS = 3000 * 86_400_000;

/** A test app on a 20-SIM simulated fleet that has been swept into the database, with an unthrottled API. */
export async function sweptFleetApp(backend: Backend): Promise<TestApp> {
  const t = await buildTestApp({ backend, simulator: { fleetSize: 20 }, env: { API_RATE_LIMIT_RPS: '100000' } });
  await sweepFleet(t);
  return t;
}

/**
 * An enabled SIM that is not past its ten-year expiry (1NCE answers 422 for those), optionally with
 * more than 20 % quota left; the first by ICCID in the given order.
 */
export async function activeSim(t: TestApp, options: { quotaLeft?: boolean; order?: 'asc' | 'desc' } = {}): Promise<{ id: number; iccid: string }> {
  let query = t.deps.database.db
    .selectFrom('sims')
    .select(['id', 'iccid'])
    .where('status', '=', 'Enabled')
    .where('activation_date', '>', new Date(Date.now() - ACTIVE_WINDOW_MS));
  if (options.quotaLeft === true) query = query.where('quota_status_id', '=', 0);
  return query.orderBy('iccid', options.order ?? 'asc').executeTakeFirstOrThrow();
}
