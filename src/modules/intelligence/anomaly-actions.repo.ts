import { sql, type Kysely } from 'kysely';
import type { AnomalyAction, DB, TopupPeriod } from '../../db/schema.js';

/** The rule fields an action's reservation reads: its cap, period and dry-run switch. */
export interface ActionCap {
  ruleId: string;
  dryRun: boolean;
  period: TopupPeriod;
  maxPerPeriod: number;
}

/** SQL of the automatic anomaly actions (`anomaly_actions`) and the SIM state they check first. */
export function createAnomalyActionsRepo(db: Kysely<DB>) {
  return {
    /** The SIM's status and IMEI lock as stored, or undefined when it is gone. */
    simState(simId: number) {
      return db.selectFrom('sims').select(['status', 'imei_lock']).where('id', '=', simId).executeTakeFirst();
    },

    /**
     * Records one action under the rule's cap, serialised per rule: 'requested', or 'capped' when the
     * period's actions (dry runs counted apart) already reached it.
     */
    async reserve(cap: ActionCap, action: AnomalyAction, simId: number, alertId: string): Promise<{ id: string; capped: boolean }> {
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${`simfleet.anomaly_action:${cap.ruleId}`}))`.execute(trx);
        const used = await trx
          .selectFrom('anomaly_actions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('rule_id', '=', cap.ruleId)
          .where('dry_run', '=', cap.dryRun)
          .where('status', 'in', ['requested', 'succeeded'])
          .where('created_at', '>=', sql<Date>`date_trunc(${cap.period}, now() at time zone 'utc') at time zone 'utc'`)
          .executeTakeFirstOrThrow();
        const capped = Number(used.n) >= cap.maxPerPeriod;
        const row = await trx
          .insertInto('anomaly_actions')
          .values({ rule_id: cap.ruleId, sim_id: simId, alert_id: alertId, action, dry_run: cap.dryRun, status: capped ? 'capped' : 'requested' })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { id: row.id, capped };
      });
    },

    /** Records how a reserved action ended. */
    async finish(id: string, status: 'succeeded' | 'failed' | 'skipped', error: string | null): Promise<void> {
      await db.updateTable('anomaly_actions').set({ status, error }).where('id', '=', id).execute();
    },

    /** The latest action really taken on a SIM (succeeded, not a dry run), with its rule's name: what its diagnosis reports. */
    latestTakenFor(simId: number) {
      return db
        .selectFrom('anomaly_actions')
        .leftJoin('alert_rules', 'alert_rules.id', 'anomaly_actions.rule_id')
        .select(['anomaly_actions.action', 'anomaly_actions.created_at', 'alert_rules.name as rule_name'])
        .where('anomaly_actions.sim_id', '=', simId)
        .where('anomaly_actions.status', '=', 'succeeded')
        .where('anomaly_actions.dry_run', '=', false)
        .orderBy('anomaly_actions.created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
  };
}

export type AnomalyActionsRepo = ReturnType<typeof createAnomalyActionsRepo>;
