/**
 * What the streamer benchmark and its profile share: a 100,000-SIM fleet and 1NCE-shaped
 * Platform-1 usage records (about 1 KB each, as the Data Streamer sends them).
 */
import { sql } from 'kysely';
import type { Deps } from '../src/deps.js';

/** A 100,000-SIM fleet (as in the sync benchmark): a 3,000-record batch then touches ~3,000 distinct SIMs, as a real stream does. */
export const SIMS = 100_000;
export const BATCH = 3_000;

/**
 * The SIM of the n-th record: every SIM once per SIMS records, in a scattered order (7919 is prime,
 * so this is a permutation). A real batch holds records of whichever devices were active, not SIMs in
 * the order they were imported; consecutive ids would pack a batch's updates onto few heap pages.
 */
export const simOfRecord = (n: number) => (n * 7919) % SIMS;

/** The 19-digit ICCID of the i-th SIM of the fleet. */
export function iccidOf(i: number): string {
  return `8988280666${String(i).padStart(9, '0')}`;
}

/** One Platform-1 data usage record (reference 11.2), every field 1NCE sends. */
export function usageRecord(id: number, simIndex: number, at: Date) {
  const start = new Date(at.getTime() - 15 * 60_000).toISOString();
  return {
    id,
    imsi: `90140510${String(simIndex).padStart(7, '0')}`,
    imsi_id: simIndex,
    organisation: { name: '8100xxxx', id: 1234 },
    start_timestamp: start.replace(/\.\d{3}Z$/, 'Z'),
    end_timestamp: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    sim: { msisdn: `88228510${String(simIndex).padStart(7, '0')}`, iccid: iccidOf(simIndex), id: simIndex, production_date: '2018-04-17T15:01:50Z' },
    currency: { id: 1, symbol: '€', code: 'EUR' },
    operator: { id: 2, name: 'T-Mobile', mnc: '01', country: { id: 74, mcc: '262', name: 'Germany' } },
    tariff: { id: 398, name: '1NCE Production 01', ratezone: { id: 2067, name: 'Rate Zone 2 (EU - DE)' } },
    traffic_type: { id: 5, description: 'Data' },
    endpoint: { id: simIndex, name: `device-${simIndex}`, ip_address: '10.0.0.1', imei: null, tags: null, balance: null },
    cost: 0.012345,
    volume: { total: 0.012345, tx: 0.004115, rx: 0.00823 },
  };
}

/** One Platform-1 network event (reference 11.3): PDP context created or deleted, i.e. a connectivity change. */
export function eventRecord(id: number, simIndex: number, at: Date) {
  const online = id % 2 === 0;
  return {
    id: `ev-${id}`,
    alert: false,
    description: online ? 'PDP Context created.' : 'PDP Context deleted.',
    timestamp: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    event_type: { id: online ? 3 : 5, description: online ? 'Create PDP Context' : 'Delete PDP Context' },
    event_source: { id: 0, description: 'Network' },
    event_severity: { id: 0, description: 'INFO' },
    organisation: { id: 1234, name: '8100xxxx' },
    endpoint: { id: simIndex, name: `device-${simIndex}`, ip_address: '10.0.0.1', tags: null, imei: null },
    sim: { id: simIndex, iccid: iccidOf(simIndex), msisdn: `88228510${String(simIndex).padStart(7, '0')}`, production_date: '2018-04-17T15:01:50Z' },
    imsi: { id: simIndex, imsi: `90140510${String(simIndex).padStart(7, '0')}`, import_date: '2018-04-17T15:01:50Z' },
    detail: { name: 'T-Mobile', country: { name: 'Germany', country_code: '49', mcc: '262', iso_code: 'de' }, pdp_context: { rat_type: 6 } },
  };
}

/**
 * `count` batches of BATCH usage records with ids from `firstId` on, one second apart from `base`
 * (records of batch b follow those of batch b - 1, as a stream delivers them).
 */
export function usageBatches(count: number, firstId: number, base: number): string[] {
  return Array.from({ length: count }, (_, b) =>
    JSON.stringify(
      Array.from({ length: BATCH }, (_, k) => {
        const n = b * BATCH + k;
        return usageRecord(firstId + n, simOfRecord(firstId + n), new Date(base + n * 1000));
      }),
    ),
  );
}

/** Seeds the fleet (one account, SIMS SIMs with a 1 GB quota) and vacuums it, as a synced fleet looks. */
export async function seedFleet(deps: Deps, apiUrl: string, sims = SIMS): Promise<string> {
  const account = await deps.accounts.ensureDefaultAccount({ apiUrl, clientId: 'bench', clientSecret: 'bench-secret' });
  for (let i = 0; i < sims; i += 5_000) {
    const rows = Array.from({ length: Math.min(5_000, sims - i) }, (_, k) => ({ account_id: account.id, iccid: iccidOf(i + k), data_total_bytes: 1_073_741_824, data_remaining_bytes: 1_073_741_824 }));
    await deps.database.db.insertInto('sims').values(rows).execute();
  }
  // A fleet that has been synced for a while, not rows written a second ago: hint bits set,
  // visibility map and statistics current (as autovacuum leaves a live table).
  await sql`vacuum analyze sims`.execute(deps.database.db);
  return account.id;
}
