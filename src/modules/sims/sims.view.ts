import type { Row } from '../../db/schema.js';
import { iso, isoOrNull } from '../../lib/time.js';
import type { PublicSim, SimDetail } from './sims.schemas.js';

export type SimRow = Row<'sims'>;

/**
 * What the API shows of a SIM: every column except 1NCE's raw object (large jsonb, never returned)
 * and the network columns only the fleet aggregates read.
 */
export type SimListRow = Omit<SimRow, 'provider_raw' | 'operator_name' | 'country_name' | 'country_iso'>;

/** The API shape of a stored SIM. */
export function toPublicSim(row: SimListRow): PublicSim {
  return {
    iccid: row.iccid,
    iccid_with_luhn: row.iccid_with_luhn,
    imsi: row.imsi,
    imsi_2: row.imsi_2,
    current_imsi: row.current_imsi,
    msisdn: row.msisdn,
    imei: row.imei,
    imei_lock: row.imei_lock,
    status: row.status,
    activation_date: isoOrNull(row.activation_date),
    ip_address: row.ip_address,
    label: row.label,
    tags: row.tags,
    custom_fields: row.custom_fields,
    account_id: row.account_id,
    source: row.source,
    current_quota_mb: row.current_quota_mb,
    quota_status_id: row.quota_status_id,
    quota_status: row.quota_status_description,
    sms_quota_status_id: row.quota_status_sms_id,
    sms_quota_status: row.quota_status_sms_description,
    connectivity_status: row.connectivity_status,
    last_seen_at: isoOrNull(row.last_seen_at),
    data_total_bytes: row.data_total_bytes,
    data_remaining_bytes: row.data_remaining_bytes,
    // A percentage for display and filtering; the exact volumes are the byte columns.
    data_remaining_pct: row.data_remaining_pct === null ? null : Number(row.data_remaining_pct),
    data_expiry_date: isoOrNull(row.data_expiry_date),
    sms_total: row.sms_total,
    sms_remaining: row.sms_remaining,
    last_synced_at: isoOrNull(row.last_synced_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/**
 * A timestamptz column as JSON: `toISOString`'s text (UTC, milliseconds truncated as pg's parser
 * truncates microseconds), or null. Years 1-9999 only: `toISOString` writes others with a sign and
 * six digits, which a CASE per column made the page query three times as costly (docs/adr/0024).
 * `to_char` of ±infinity is NULL, so those are null (the object path has no Date for them).
 */
const isoJson = (column: string) => `coalesce('"' || to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"', 'null')`;

/** A nullable text column as a JSON string or null (PostgreSQL escapes as JSON.stringify does). */
const textJson = (column: string) => `coalesce(to_json(${column})::text, 'null')`;
/** A nullable integer or numeric column as a JSON number or null. */
const numberJson = (column: string) => `coalesce(${column}::text, 'null')`;

/**
 * `toPublicSim` written in SQL: each key of the API shape, in its order, with the SQL that renders
 * its JSON value from a `sims` row. PostgreSQL then returns a list page's SIMs as JSON text, so the
 * list route writes them out without building rows, Dates and objects (docs/adr/0024). The same
 * bytes as `JSON.stringify(toPublicSim(row))`, except inside `custom_fields` (jsonb's own spacing
 * and key order: the parsed value is equal) and for values no real SIM holds (listed in the ADR);
 * test/modules/sims/sims-json.test.ts holds the two together.
 */
const PUBLIC_SIM_JSON: ReadonlyArray<readonly [keyof PublicSim, string]> = [
  ['iccid', 'to_json(iccid)::text'],
  ['iccid_with_luhn', textJson('iccid_with_luhn')],
  ['imsi', textJson('imsi')],
  ['imsi_2', textJson('imsi_2')],
  ['current_imsi', textJson('current_imsi')],
  ['msisdn', textJson('msisdn')],
  ['imei', textJson('imei')],
  ['imei_lock', 'imei_lock::text'],
  ['status', textJson('status')],
  ['activation_date', isoJson('activation_date')],
  ['ip_address', textJson('ip_address')],
  ['label', textJson('label')],
  ['tags', 'array_to_json(tags)::text'],
  ['custom_fields', 'custom_fields::text'],
  ['account_id', `'"' || account_id::text || '"'`],
  ['source', 'to_json(source)::text'],
  // numeric as PostgreSQL writes it, a JSON string (the API's decimal string).
  ['current_quota_mb', textJson('current_quota_mb::text')],
  ['quota_status_id', numberJson('quota_status_id')],
  ['quota_status', textJson('quota_status_description')],
  ['sms_quota_status_id', numberJson('quota_status_sms_id')],
  ['sms_quota_status', textJson('quota_status_sms_description')],
  ['connectivity_status', textJson('connectivity_status')],
  ['last_seen_at', isoJson('last_seen_at')],
  ['data_total_bytes', numberJson('data_total_bytes')],
  ['data_remaining_bytes', numberJson('data_remaining_bytes')],
  // numeric(…, 2) without trailing zeros: what Number() then JSON write for it ("80.00" -> 80).
  ['data_remaining_pct', numberJson('trim_scale(data_remaining_pct)')],
  ['data_expiry_date', isoJson('data_expiry_date')],
  ['sms_total', numberJson('sms_total')],
  ['sms_remaining', numberJson('sms_remaining')],
  ['last_synced_at', isoJson('last_synced_at')],
  ['created_at', isoJson('created_at')],
  ['updated_at', isoJson('updated_at')],
];

/** SQL over a `sims` row giving `JSON.stringify(toPublicSim(row))` as text (see PUBLIC_SIM_JSON). */
export const PUBLIC_SIM_JSON_SQL = PUBLIC_SIM_JSON.map(([key, value], i) => `'${i === 0 ? '{' : ','}"${key}":' || ${value}`).join(' || ') + ` || '}'`;

/** A stored SIM plus how fresh it is, computed at answer time (so a cached SIM still ages). */
export function withFreshness(sim: PublicSim, now: number = Date.now()): SimDetail {
  const synced = sim.last_synced_at === null ? null : Date.parse(sim.last_synced_at);
  return {
    ...sim,
    freshness: {
      last_synced_at: sim.last_synced_at,
      age_seconds: synced === null ? null : Math.max(0, Math.floor((now - synced) / 1000)),
    },
  };
}
