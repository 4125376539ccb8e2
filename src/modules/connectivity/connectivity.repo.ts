import type { Kysely } from 'kysely';
import type { DB, NewRow, Row } from '../../db/schema.js';
import { pageOf } from '../../db/paging.js';
import { simWrites } from '../sims/sims.writes.js';

export type ConnectivityRow = Row<'sim_connectivity'>;
export type ResetRow = Row<'connectivity_resets'>;

/** Kysely queries over `sim_connectivity` (snapshots) and `connectivity_resets`. */
export function createConnectivityRepo(db: Kysely<DB>) {
  return {
    /** Stores a snapshot and the SIM's latest state (status, last seen) in one transaction. */
    async capture(snapshot: Omit<NewRow<'sim_connectivity'>, 'observed_at'> & { observed_at: Date }, lastSeenAt: Date | null): Promise<ConnectivityRow> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('sim_connectivity')
          .values({ ...snapshot, observed_at: snapshot.observed_at })
          .onConflict((oc) =>
            oc.columns(['sim_id', 'observed_at']).doUpdateSet((eb) => ({
              status: eb.ref('excluded.status'),
              operator_name: eb.ref('excluded.operator_name'),
              operator_id: eb.ref('excluded.operator_id'),
              country_name: eb.ref('excluded.country_name'),
              country_iso: eb.ref('excluded.country_iso'),
              mcc: eb.ref('excluded.mcc'),
              mnc: eb.ref('excluded.mnc'),
              rat: eb.ref('excluded.rat'),
              pdp_context: eb.ref('excluded.pdp_context'),
              location: eb.ref('excluded.location'),
              services: eb.ref('excluded.services'),
              raw: eb.ref('excluded.raw'),
            })),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        await simWrites.copyConnectivity(trx, snapshot.sim_id, snapshot, lastSeenAt);
        return row;
      });
    },

    latest(simId: number): Promise<ConnectivityRow | undefined> {
      return db.selectFrom('sim_connectivity').selectAll().where('sim_id', '=', simId).orderBy('observed_at', 'desc').limit(1).executeTakeFirst();
    },

    async history(simId: number, range: { from?: Date | undefined; to?: Date | undefined }, page: number, pageSize: number) {
      const base = db
        .selectFrom('sim_connectivity')
        .where('sim_id', '=', simId)
        .$if(range.from !== undefined, (q) => q.where('observed_at', '>=', range.from as never))
        .$if(range.to !== undefined, (q) => q.where('observed_at', '<', range.to as never));
      return pageOf(base, (q) => q.selectAll().orderBy('observed_at', 'desc'), page, pageSize);
    },

    insertReset(simId: number, userId: number | null): Promise<ResetRow> {
      return db.insertInto('connectivity_resets').values({ sim_id: simId, requested_by_user_id: userId }).returningAll().executeTakeFirstOrThrow();
    },

    findReset(simId: number, id: string): Promise<ResetRow | undefined> {
      return db.selectFrom('connectivity_resets').selectAll().where('sim_id', '=', simId).where('id', '=', id).executeTakeFirst();
    },

    pendingResets(simId: number): Promise<ResetRow[]> {
      return db.selectFrom('connectivity_resets').selectAll().where('sim_id', '=', simId).where('status', '=', 'requested').orderBy('requested_at').execute();
    },

    listResets(simId: number, limit: number): Promise<ResetRow[]> {
      return db.selectFrom('connectivity_resets').selectAll().where('sim_id', '=', simId).orderBy('requested_at', 'desc').limit(limit).execute();
    },

    /** Moves a reset out of `requested` (only once: a concurrent check cannot flip it back). */
    finishReset(id: string, status: 'completed' | 'failed', at: Date, detail: string): Promise<ResetRow | undefined> {
      return db
        .updateTable('connectivity_resets')
        .set({ status, completed_at: at, detail })
        .where('id', '=', id)
        .where('status', '=', 'requested')
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type ConnectivityRepo = ReturnType<typeof createConnectivityRepo>;
