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
