/**
 * Factories for the rows tests build by hand: a provider account, SIMs, their daily usage and
 * quota snapshots. Each fills the columns a test does not care about, so a test states only what
 * it is about (`insertSim(db, { data_remaining_bytes: 0 })`) instead of raw insert/update SQL.
 */
import type { Insertable, Kysely, Updateable } from 'kysely';
import type { DB, SimQuotasTable, SimsTable, SimUsageTable } from '../../src/db/schema.js';
import { DAY_MS, utcDay } from '../../src/lib/time.js';

type Db = Kysely<DB>;

/** A 19-digit test ICCID (1NCE's 898828066 range) for `n`. */
export function testIccid(n: number): string {
  return `8988280666${String(n).padStart(9, '0')}`;
}

/** The UTC day `offset` days from `at` (default now), as `YYYY-MM-DD`. */
export function dayOffset(offset: number, at: number = Date.now()): string {
  return utcDay(at + offset * DAY_MS);
}

/** A provider account (no reachable API: SIMs that never need 1NCE). */
export async function insertAccount(db: Db, values: Partial<Insertable<DB['provider_accounts']>> = {}): Promise<string> {
  const row = await db
    .insertInto('provider_accounts')
    .values({ name: 'factory', api_url: 'http://127.0.0.1:9', client_id: 'id', secret_ciphertext: 'v1:abc', ...values })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Factory ICCIDs start high, clear of the small numbers tests pass to `testIccid` themselves. */
let nextIccid = 500_000_000;

export type SimValues = Partial<Insertable<SimsTable>> & { account_id: string };

/** One SIM; the ICCID is a fresh test ICCID unless given. */
export async function insertSim(db: Db, values: SimValues): Promise<{ id: number; iccid: string }> {
  return db
    .insertInto('sims')
    .values({ iccid: testIccid(nextIccid++), status: 'Enabled', ...values })
    .returning(['id', 'iccid'])
    .executeTakeFirstOrThrow();
}

/** Several SIMs in one statement (ordered as given). */
export async function insertSims(db: Db, rows: SimValues[]): Promise<Array<{ id: number; iccid: string }>> {
  if (rows.length === 0) return [];
  return db
    .insertInto('sims')
    .values(rows.map((values) => ({ iccid: testIccid(nextIccid++), status: 'Enabled', ...values })))
    .returning(['id', 'iccid'])
    .execute();
}

/** Changes columns of the SIMs with these ids (none when `ids` is empty; `updateAllSims` changes every SIM). */
export async function updateSims(db: Db, values: Updateable<SimsTable>, ids: number | number[]): Promise<void> {
  const list = Array.isArray(ids) ? ids : [ids];
  if (list.length === 0) return;
  await db.updateTable('sims').set(values).where('id', 'in', list).execute();
}

/** Changes columns of every SIM in the database. */
export async function updateAllSims(db: Db, values: Updateable<SimsTable>): Promise<void> {
  await db.updateTable('sims').set(values).execute();
}

/** Changes columns of the SIMs with these ICCIDs. */
export async function updateSimsByIccid(db: Db, values: Updateable<SimsTable>, iccids: string | string[]): Promise<void> {
  const list = Array.isArray(iccids) ? iccids : [iccids];
  if (list.length === 0) return;
  await db.updateTable('sims').set(values).where('iccid', 'in', list).execute();
}

/** Changes columns of every SIM of one provider account. */
export async function updateSimsOfAccount(db: Db, values: Updateable<SimsTable>, accountId: string): Promise<void> {
  await db.updateTable('sims').set(values).where('account_id', '=', accountId).execute();
}

/** Daily usage rows of one SIM: `bytes[i]` data bytes on day `days[i]` (received; SMS 0 unless given). */
export async function insertUsage(db: Db, simId: number, days: Array<{ day: string; bytes: number } & Partial<Insertable<SimUsageTable>>>): Promise<void> {
  if (days.length === 0) return;
  await db
    .insertInto('sim_usage')
    .values(days.map(({ day, bytes, ...rest }) => ({ sim_id: simId, day, data_rx_bytes: bytes, data_total_bytes: bytes, source: 'poll' as const, ...rest })))
    .execute();
}

/** A stored quota snapshot of one SIM (ACTIVE, captured now unless given). */
export async function insertQuota(db: Db, simId: number, values: Partial<Insertable<SimQuotasTable>> = {}): Promise<void> {
  await db
    .insertInto('sim_quotas')
    .values({ sim_id: simId, service: 'data', status: 'ACTIVE', ...values })
    .execute();
}
