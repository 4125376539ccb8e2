import { sql, type Kysely } from 'kysely';
import type { ConnectivityStatus, DB, QuotaService } from '../../db/schema.js';

/**
 * Every write to the `sims` table made from outside the sims module's own repository
 * (sims.repo.ts: registration, edits, the sweep's page upsert) goes through here, so the table has
 * one owner: the quota and connectivity syncs copy their latest figures onto the SIM, bulk jobs
 * apply accepted changes and tags, the CSV import stores labels and tags, and any 1NCE "expired"
 * answer is remembered. Each write takes the connection or transaction to run on, so a caller can
 * keep it in the same transaction as its own rows.
 *
 * The one exception is the Data Streamer's batch (src/modules/streamer/streamer.repo.ts), which
 * rolls usage and connectivity onto `sims` inside its set-based statement for speed (ADR 0017).
 */
export const simWrites = {
  /** 1NCE called these SIMs expired: their data expiry becomes now unless it already passed. */
  async markExpired(db: Kysely<DB>, simIds: number[]): Promise<void> {
    if (simIds.length === 0) return;
    await db
      .updateTable('sims')
      .set({ data_expiry_date: sql<Date>`least(coalesce(data_expiry_date, now()), now())` })
      .where('id', 'in', simIds)
      .execute();
  },

  /** Copies a quota snapshot's figures onto the SIM (list filters such as `quota_below` read them). */
  async copyQuota(db: Kysely<DB>, simId: number, service: QuotaService, quota: { total: number | null; remaining: number | null; expiry: Date | string | null }): Promise<void> {
    const values =
      service === 'data'
        ? { data_total_bytes: quota.total, data_remaining_bytes: quota.remaining, data_expiry_date: quota.expiry }
        : { sms_total: quota.total, sms_remaining: quota.remaining };
    await db.updateTable('sims').set(values).where('id', '=', simId).execute();
  },

  /**
   * Copies a connectivity snapshot onto the SIM: its status, the network when named (a bare status
   * keeps the previous one), and last seen, never moved backwards.
   */
  async copyConnectivity(
    db: Kysely<DB>,
    simId: number,
    snapshot: { status: ConnectivityStatus; operator_name?: string | null; country_name?: string | null; country_iso?: string | null },
    lastSeenAt: Date | null,
  ): Promise<void> {
    await db
      .updateTable('sims')
      .set({
        connectivity_status: snapshot.status,
        ...(snapshot.operator_name != null && { operator_name: snapshot.operator_name }),
        ...(snapshot.country_name != null && { country_name: snapshot.country_name }),
        ...(snapshot.country_iso != null && { country_iso: snapshot.country_iso }),
        // A later poll may report an older location update.
        ...(lastSeenAt !== null && { last_seen_at: sql<Date>`greatest(last_seen_at, ${lastSeenAt}::timestamptz)` }),
      })
      .where('id', '=', simId)
      .execute();
  },

  /** Stores a change 1NCE accepted (status, label, IMEI lock) on these SIMs. */
  async applyAccepted(db: Kysely<DB>, simIds: number[], values: { status?: string; label?: string | null; imei_lock?: boolean }): Promise<void> {
    if (simIds.length === 0) return;
    await db.updateTable('sims').set(values).where('id', 'in', simIds).execute();
  },

  /** Adds a tag to (once) or removes it from these SIMs, in one statement. */
  async changeTag(db: Kysely<DB>, simIds: number[], tag: string, add: boolean): Promise<void> {
    if (simIds.length === 0) return;
    await db
      .updateTable('sims')
      .set({
        tags: add ? sql<string[]>`case when ${tag} = any(tags) then tags else array_append(tags, ${tag}) end` : sql<string[]>`array_remove(tags, ${tag})`,
      })
      .where('id', 'in', simIds)
      .execute();
  },

  /** Stores an imported label and/or tag list (an absent field stays as it is). */
  async setLabelAndTags(db: Kysely<DB>, simId: number, values: { label?: string | null; tags?: string[] }): Promise<void> {
    await db
      .updateTable('sims')
      .set({ ...(values.label !== undefined && { label: values.label }), ...(values.tags !== undefined && { tags: values.tags }) })
      .where('id', '=', simId)
      .execute();
  },
};
