import type { TestApp } from '../../helpers/app.js';

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
