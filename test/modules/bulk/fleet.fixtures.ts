import type { ConnectivityStatus } from '../../../src/provider/provider.types.js';
import type { TestApp } from '../../helpers/app.js';
import { insertSims } from '../../helpers/factories.js';

/** One seeded SIM as the tests need it. */
export interface SeededSim {
  id: number;
  iccid: string;
  msisdn: string | null;
}

/**
 * Copies the first `count` SIMs of the simulator's fleet into `sims` (the identity columns only),
 * so fleet operations have stored SIMs to act on without depending on the sync jobs.
 */
export async function seedSims(t: TestApp, count: number): Promise<SeededSim[]> {
  const client = await t.deps.provider.get(t.accountId!);
  const fleet = [];
  for (let page = 1; fleet.length < count; page++) {
    const result = await client.listSimsPage(page, { pageSize: 100 });
    if (result.items.length === 0) break;
    fleet.push(...result.items);
  }
  const rows = fleet.slice(0, count).map((sim) => ({
    account_id: t.accountId!,
    iccid: sim.iccid,
    msisdn: sim.msisdn,
    imsi: sim.imsi,
    status: sim.providerStatus,
    label: sim.label,
    imei_lock: sim.imeiLock,
  }));
  const msisdnOf = new Map(rows.map((row) => [row.iccid, row.msisdn]));
  const stored = await insertSims(t.deps.database.db, rows);
  return stored.map(({ id, iccid }) => ({ id, iccid, msisdn: msisdnOf.get(iccid) ?? null }));
}

/** The first seeded SIM whose connectivity at the simulator is (or is not) `status`. */
export async function findSimByConnectivity(t: TestApp, sims: SeededSim[], match: (status: ConnectivityStatus) => boolean): Promise<SeededSim> {
  const client = await t.deps.provider.get(t.accountId!);
  for (const sim of sims) {
    // Expired SIMs answer 422 to everything; they are simply not candidates.
    const connectivity = await client.getConnectivity(sim.iccid).catch(() => undefined);
    if (connectivity !== undefined && match(connectivity.status)) return sim;
  }
  throw new Error('no seeded SIM has the wanted connectivity');
}

/** Request counts per `METHOD /route/{template}` from the simulator's control surface. */
export async function simulatorRequests(t: TestApp): Promise<Record<string, number>> {
  const response = await fetch(`${t.simulatorOrigin!}/_simulator/stats`);
  const stats = (await response.json()) as { requests: Record<string, number> };
  return stats.requests;
}

/** Sets fault rates at the simulator (0..1 each). */
export async function setFaults(t: TestApp, faults: Record<string, number>): Promise<void> {
  const response = await fetch(`${t.simulatorOrigin!}/_simulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!response.ok) throw new Error(`setting faults failed: ${response.status}`);
}

/** Moves the simulator's clock forward. */
export async function advanceSimulator(t: TestApp, seconds: number): Promise<void> {
  const response = await fetch(`${t.simulatorOrigin!}/_simulator/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ seconds }),
  });
  if (!response.ok) throw new Error(`advancing the simulator failed: ${response.status}`);
}

/** The first seeded SIM that 1NCE reports as expired (every call but an extension answers 422). */
export async function findExpiredSim(t: TestApp, sims: SeededSim[]): Promise<SeededSim> {
  const client = await t.deps.provider.get(t.accountId!);
  for (const sim of sims) {
    const expired = await client.getSim(sim.iccid).then(
      () => false,
      (error: unknown) => (error as { code?: string }).code === 'sim_expired',
    );
    if (expired) return sim;
  }
  throw new Error('no seeded SIM is expired');
}
