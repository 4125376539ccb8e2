import type { Kysely } from 'kysely';
import type { DB, NewRow, QuotaService, Row } from '../../db/schema.js';
import { pageOf } from '../../db/paging.js';
import { simWrites } from '../sims/sims.writes.js';

export type QuotaRow = Row<'sim_quotas'>;

/** Kysely queries over `sim_quotas` (snapshot history) and the latest state copied into `sims`. */
export function createQuotasRepo(db: Kysely<DB>) {
  return {
    /**
     * Stores a snapshot and copies it into the SIM's denormalised columns, in one transaction so
     * list filters (`quota_below`) never disagree with the history. A repeated capture at the same
     * instant is an upsert on the primary key.
     */
    async capture(snapshot: Omit<NewRow<'sim_quotas'>, 'captured_at'> & { captured_at: Date }): Promise<QuotaRow> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('sim_quotas')
          .values({ ...snapshot, captured_at: snapshot.captured_at })
          .onConflict((oc) =>
            oc.columns(['sim_id', 'service', 'captured_at']).doUpdateSet((eb) => ({
              volume_total: eb.ref('excluded.volume_total'),
              volume_remaining: eb.ref('excluded.volume_remaining'),
              volume_used: eb.ref('excluded.volume_used'),
              last_volume_added: eb.ref('excluded.last_volume_added'),
              expiry_date: eb.ref('excluded.expiry_date'),
              threshold_percentage: eb.ref('excluded.threshold_percentage'),
              threshold_volume: eb.ref('excluded.threshold_volume'),
              peak_throughput: eb.ref('excluded.peak_throughput'),
              status: eb.ref('excluded.status'),
              last_status_change_date: eb.ref('excluded.last_status_change_date'),
              raw: eb.ref('excluded.raw'),
            })),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        await simWrites.copyQuota(trx, snapshot.sim_id, snapshot.service, {
          total: snapshot.volume_total ?? null,
          remaining: snapshot.volume_remaining ?? null,
          expiry: snapshot.expiry_date ?? null,
        });
        return row;
      });
    },

    latest(simId: number, service: QuotaService): Promise<QuotaRow | undefined> {
      return db
        .selectFrom('sim_quotas')
        .selectAll()
        .where('sim_id', '=', simId)
        .where('service', '=', service)
        .orderBy('captured_at', 'desc')
        .limit(1)
        .executeTakeFirst();
    },

    async history(simId: number, service: QuotaService, range: { from?: Date | undefined; to?: Date | undefined }, page: number, pageSize: number) {
      const base = db
        .selectFrom('sim_quotas')
        .where('sim_id', '=', simId)
        .where('service', '=', service)
        .$if(range.from !== undefined, (q) => q.where('captured_at', '>=', range.from as never))
        .$if(range.to !== undefined, (q) => q.where('captured_at', '<', range.to as never));
      return pageOf(base, (q) => q.selectAll().orderBy('captured_at', 'desc'), page, pageSize);
    },
  };
}

export type QuotasRepo = ReturnType<typeof createQuotasRepo>;
