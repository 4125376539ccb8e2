import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/db/schema.js';
import { PUBLIC_SIM_JSON_SQL, toPublicSim, type SimListRow } from '../../../src/modules/sims/sims.view.js';
import { backends, createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { insertAccount, testIccid } from '../../helpers/factories.js';
// The simulator's seeded generator: a failure names a reproducible row.
import { mulberry32 as random } from '../../../src/simulator/prng.js';

/**
 * The SQL rendering of a SIM (sims.view.ts PUBLIC_SIM_JSON_SQL, what list pages send) against
 * `JSON.stringify(toPublicSim(row))` (the single SIM, exports, MCP) over generated rows full of edge
 * values: the parsed values are always equal, and the bytes are too apart from `custom_fields`
 * (jsonb's spacing and key order) for every row holding values a SIM can hold (docs/adr/0024).
 */

const ROWS = 400;

// Everything JSON escapes or that differs between escapers (no NUL: PostgreSQL text cannot hold it).
const PIECES = ['"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\u0001', '\u001f', '\u007f', '\u2028', '\u2029', 'é', 'Ω', '😀', '<', '&', "'", ' ', 'a', 'Z', '0', '{', '}', ',', ':', '"custom_fields":'];

const NUMBERS = [0, 1, -1, 0.5, -2.25, 1e21, 1.5e-7, 123456789.125, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 5e-324, 1.7976931348623157e308, 0.1 + 0.2];

const TIMES = [
  '1970-01-01 00:00:00+00',
  '1969-12-31 23:59:59.999999+00',
  '1900-02-28 12:00:00.5+00',
  '9999-12-31 23:59:59.999999+00',
  '2000-02-29 23:59:59.9995+00',
  '2026-11-27 21:00:00.000001+05:30',
  '2099-01-01 00:00:00.12-08',
];
/**
 * Years before 100: pg reads them into the right Dates, PGlite's parser does not (0001 becomes
 * 2001), so on PGlite the object path is wrong where the SQL one is right: compared on PostgreSQL
 * only. (Years past 9999 and BC, which toISOString writes with a sign, are not rendered that way:
 * docs/adr/0024.)
 */
const OLD_TIMES = ['0001-01-01 00:00:00+00', '0050-06-15 08:30:00.123+00'];

function generator(seed: number, times: readonly string[]) {
  const next = random(seed);
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const text = (max: number) => Array.from({ length: int(max + 1) }, () => (next() < 0.5 ? pick(PIECES) : String.fromCharCode(32 + int(95)))).join('');
  const maybe = <T>(value: () => T): T | null => (next() < 0.3 ? null : value());
  const json = (depth: number): unknown => {
    const kind = int(depth > 2 ? 4 : 6);
    if (kind === 0) return text(6);
    if (kind === 1) return pick(NUMBERS);
    if (kind === 2) return next() < 0.5;
    if (kind === 3) return null;
    if (kind === 4) return Array.from({ length: int(4) }, () => json(depth + 1));
    return object(depth + 1);
  };
  const object = (depth: number): JsonObject => {
    const out: JsonObject = {};
    // Integer-like keys too: JavaScript orders those first, jsonb by length.
    for (let i = int(5); i > 0; i--) out[next() < 0.2 ? String(int(20)) : text(5)] = json(depth);
    return out;
  };
  const time = () => {
    if (next() < 0.3) return pick(times);
    const ms = Date.UTC(1900, 0, 1) + Math.floor(next() * (Date.UTC(2200, 0, 1) - Date.UTC(1900, 0, 1)));
    const base = new Date(ms - (ms % 1000)).toISOString().slice(0, 19).replace('T', ' ');
    const fraction = pick(['', `.${String(int(1000)).padStart(3, '0')}`, `.${String(int(1_000_000)).padStart(6, '0')}`, '.5']);
    return `${base}${fraction}+00`;
  };
  // Totals and remainders giving 0, fractional, 100, negative, absent and huge percentages.
  const volumes = (): [number | null, number | null] =>
    pick<() => [number | null, number | null]>([
      () => [100, 0],
      () => [3, 1],
      () => [100, 100],
      () => [7, -2],
      () => [0, 5],
      () => [null, 5],
      () => [5, null],
      () => [524_288_000, int(524_288_000)],
      () => [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1],
      () => [1 + int(1000), int(100_000)],
    ])();
  return { int, next, pick, text, maybe, object, time, volumes };
}

describe.each(backends)('SIM JSON rendered by SQL on %s', (backend) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => t.cleanup());

  it('equals JSON.stringify(toPublicSim(row)) for rows of edge values: parsed always, byte for byte outside custom_fields', async () => {
    const db = t.database.db;
    const accountId = await insertAccount(db, { name: 'json', is_default: true });
    const g = generator(20261127, backend === 'postgres' ? [...TIMES, ...OLD_TIMES] : TIMES);
    const times = ['activation_date', 'last_seen_at', 'data_expiry_date', 'last_synced_at', 'created_at', 'updated_at'] as const;
    for (let i = 0; i < ROWS; i++) {
      const [total, remaining] = g.volumes();
      const iccid = testIccid(900_000 + i);
      await db
        .insertInto('sims')
        .values({
          account_id: accountId,
          iccid,
          iccid_with_luhn: g.maybe(() => `${iccid}${g.int(10)}`),
          imsi: g.maybe(() => g.text(15)),
          imsi_2: g.maybe(() => g.text(15)),
          current_imsi: g.maybe(() => g.text(15)),
          msisdn: g.maybe(() => g.text(12)),
          imei: g.maybe(() => g.text(16)),
          imei_lock: g.next() < 0.5,
          status: g.maybe(() => g.text(10)),
          ip_address: g.maybe(() => g.text(15)),
          label: g.maybe(() => g.text(40)),
          tags: Array.from({ length: g.int(4) }, () => g.text(8)),
          custom_fields: g.next() < 0.2 ? {} : g.object(0),
          current_quota_mb: g.maybe(() => g.pick(['0', '500', '0.5', '1024.250', '-3', '123456789012345678901234.5'])),
          quota_status_id: g.maybe(() => g.pick([0, 1, 2, -32768, 32767])),
          quota_status_description: g.maybe(() => g.text(20)),
          current_quota_sms: g.maybe(() => g.int(1000)),
          quota_status_sms_id: g.maybe(() => g.int(3)),
          quota_status_sms_description: g.maybe(() => g.text(20)),
          connectivity_status: g.maybe(() => g.pick(['ONLINE', 'ATTACHED', 'OFFLINE', 'BLOCKED', 'UNKNOWN'])),
          data_total_bytes: total,
          data_remaining_bytes: remaining,
          sms_total: g.maybe(() => g.pick([0, 250, Number.MAX_SAFE_INTEGER])),
          sms_remaining: g.maybe(() => g.pick([0, 249, -1])),
          source: g.pick(['provider', 'manual'] as const),
          ...Object.fromEntries(times.map((column) => [column, column === 'created_at' || column === 'updated_at' ? sql`${g.time()}::timestamptz` : g.next() < 0.3 ? null : sql`${g.time()}::timestamptz`])),
        })
        .execute();
    }

    const rows = await db
      .selectFrom('sims')
      .selectAll()
      .select([sql<string>`${sql.raw(PUBLIC_SIM_JSON_SQL)}`.as('rendered'), sql<string>`custom_fields::text`.as('custom_fields_text')])
      .where('account_id', '=', accountId)
      .execute();
    expect(rows).toHaveLength(ROWS);
    let bytesCompared = 0;
    for (const { rendered, custom_fields_text, ...row } of rows) {
      const expected = JSON.stringify(toPublicSim(row));
      expect({ iccid: row.iccid, sim: JSON.parse(rendered) as unknown }).toEqual({ iccid: row.iccid, sim: JSON.parse(expected) as unknown });
      // jsonb writes `custom_fields` its own way; everything around it is the same text.
      const cut = `"custom_fields":${custom_fields_text},`;
      expect(rendered).toContain(cut);
      const rest = rendered.replace(cut, () => `"custom_fields":${JSON.stringify(row.custom_fields)},`);
      // A numeric of more than 15 significant digits is no longer the same text once a double.
      const pct = row.data_remaining_pct === null ? 0 : Math.abs(Number(row.data_remaining_pct));
      if (pct >= 1e13) continue;
      expect({ iccid: row.iccid, text: rest }).toEqual({ iccid: row.iccid, text: expected });
      bytesCompared++;
    }
    expect(bytesCompared).toBeGreaterThan(ROWS * 0.9);
    // Empty custom fields, the common case: the whole text is the same.
    const plain = rows.filter((r) => r.custom_fields_text === '{}');
    expect(plain.length).toBeGreaterThan(ROWS / 10);
    for (const { rendered, custom_fields_text: _, ...row } of plain) expect(rendered).toBe(JSON.stringify(toPublicSim(row as SimListRow)));
  });

  it('renders an infinite timestamp (no Date: the object path cannot answer) as null rather than failing the page', async () => {
    const db = t.database.db;
    const accountId = await insertAccount(db, { name: 'infinite' });
    await db.insertInto('sims').values({ account_id: accountId, iccid: testIccid(990_001), last_seen_at: sql`'infinity'::timestamptz`, data_expiry_date: sql`'-infinity'::timestamptz` }).execute();
    const row = await db.selectFrom('sims').select(sql<string>`${sql.raw(PUBLIC_SIM_JSON_SQL)}`.as('rendered')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
    expect(JSON.parse(row.rendered)).toMatchObject({ iccid: testIccid(990_001), last_seen_at: null, data_expiry_date: null });
  });
});
