import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { AlertMetric, AlertRulesTable, AlertsTable, AlertSeverity, AlertState, AnomalyAction, DB, TopupPeriod } from '../../db/schema.js';
import type { SimSnapshot } from './alerts.evaluate.js';
import { pageOf } from '../../db/paging.js';
import { dataBurnRates } from '../quotas/forecast.sql.js';

export type AlertRuleRow = Selectable<AlertRulesTable>;
export type AlertRow = Selectable<AlertsTable>;

export interface AlertFilter {
  state?: AlertState | undefined;
  severity?: AlertSeverity | undefined;
  metric?: AlertMetric | undefined;
  iccid?: string | undefined;
  ruleId?: string | undefined;
}

export interface RuleValues {
  name: string;
  description: string | null;
  enabled: boolean;
  scope: 'global' | 'account' | 'tag' | 'sim';
  scope_value: string | null;
  metric: AlertMetric;
  thresholds: number[];
  hysteresis: number;
  severity: AlertSeverity;
  auto_topup: boolean;
  auto_topup_max_per_period: number | null;
  auto_topup_period: TopupPeriod | null;
  /** Anomaly detector parameters (anomaly.params.ts); {} for quota rules. */
  params: Record<string, unknown>;
  auto_action: AnomalyAction | null;
  auto_action_dry_run: boolean;
  auto_action_max_per_period: number | null;
  auto_action_period: TopupPeriod | null;
}

/** `hysteresis` is Generated<Numeric>, a nested ColumnType Kysely does not unwrap for writes; params is jsonb text. */
function ruleRow<T extends Partial<RuleValues>>(values: T) {
  const { params, ...rest } = values;
  return { ...rest, hysteresis: values.hysteresis as never, ...(params !== undefined && { params: JSON.stringify(params) }) };
}

/** SQL of alert rules, alerts and automatic top-ups. */
export function createAlertsRepo(db: Kysely<DB>) {
  /**
   * SIM snapshots with their burn rate (the quota forecast's fit over usage since `from`, see
   * quotas/forecast.sql.ts), for the SIMs `where` selects (ordered by id).
   */
  async function snapshots(where: RawBuilder<unknown>, limit: number, from: string): Promise<SimSnapshot[]> {
    const rows = await sql<{
      id: number;
      iccid: string;
      account_id: string;
      tags: string[];
      data_total_bytes: number | null;
      data_remaining_bytes: number | null;
      sms_total: number | null;
      sms_remaining: number | null;
      data_expiry_date: Date | null;
      connectivity_status: string | null;
      last_seen_at: Date | null;
      bytes_per_day: string | null;
    }>`
      select s.id, s.iccid, s.account_id, s.tags, s.data_total_bytes, s.data_remaining_bytes, s.sms_total, s.sms_remaining,
             s.data_expiry_date, s.connectivity_status, s.last_seen_at, b.per_day as bytes_per_day
      from sims s
      left join lateral (${dataBurnRates(from, sql`sim_id = s.id`)}) b on true
      where ${where}
      order by s.id
      limit ${limit}`.execute(db);
    return rows.rows.map((r) => ({
      id: Number(r.id),
      iccid: r.iccid,
      accountId: r.account_id,
      tags: r.tags,
      dataTotalBytes: r.data_total_bytes === null ? null : Number(r.data_total_bytes),
      dataRemainingBytes: r.data_remaining_bytes === null ? null : Number(r.data_remaining_bytes),
      smsTotal: r.sms_total === null ? null : Number(r.sms_total),
      smsRemaining: r.sms_remaining === null ? null : Number(r.sms_remaining),
      dataExpiryDate: r.data_expiry_date === null ? null : new Date(r.data_expiry_date),
      connectivityStatus: r.connectivity_status,
      lastSeenAt: r.last_seen_at === null ? null : new Date(r.last_seen_at),
      dataBytesPerDay: r.bytes_per_day === null ? null : Number(r.bytes_per_day),
    }));
  }

  return {
    /**
     * Inserts rules once per install under an install marker (serialised): the anomaly rules arrived
     * after installs that already have rules, and an admin who deletes them must not see them return.
     */
    async ensureOnce(marker: string, defaults: RuleValues[]): Promise<number> {
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext('simfleet.alert_rules.defaults'))`.execute(trx);
        const done = await trx.selectFrom('install_markers').select('key').where('key', '=', marker).executeTakeFirst();
        if (done !== undefined) return 0;
        await trx.insertInto('alert_rules').values(defaults.map(ruleRow)).execute();
        await trx.insertInto('install_markers').values({ key: marker, created_by: 'alerts' }).onConflict((oc) => oc.doNothing()).execute();
        return defaults.length;
      });
    },

    /** Inserts the default rules unless any rule exists (serialised, so two workers never both insert). */
    async ensureDefaults(defaults: RuleValues[]): Promise<number> {
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext('simfleet.alert_rules.defaults'))`.execute(trx);
        const existing = await trx.selectFrom('alert_rules').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        if (Number(existing.n) > 0) return 0;
        await trx.insertInto('alert_rules').values(defaults.map(ruleRow)).execute();
        return defaults.length;
      });
    },

    listRules: () => db.selectFrom('alert_rules').selectAll().orderBy('created_at').orderBy('id').execute(),
    enabledRules: () => db.selectFrom('alert_rules').selectAll().where('enabled', '=', true).orderBy('created_at').execute(),
    findRule: (id: string) => db.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst(),
    insertRule: (values: RuleValues & { created_by_user_id: number | null }) => db.insertInto('alert_rules').values(ruleRow(values)).returningAll().executeTakeFirstOrThrow(),
    updateRule: (id: string, values: Partial<RuleValues>) => db.updateTable('alert_rules').set(ruleRow(values)).where('id', '=', id).returningAll().executeTakeFirst(),
    async deleteRule(id: string): Promise<boolean> {
      const result = await db.deleteFrom('alert_rules').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /** A page of SIM snapshots (ordered by id, after `afterId`) with their burn rate over usage since `from`. */
    simPage(afterId: number, limit: number, from: string): Promise<SimSnapshot[]> {
      return snapshots(sql`s.id > ${afterId}`, limit, from);
    },

    /** Whether a rule's scope names something that exists (a stored SIM by its 19-digit ICCID, a provider account). */
    async scopeTargetExists(scope: 'sim' | 'account', value: string): Promise<boolean> {
      const row =
        scope === 'sim'
          ? await db.selectFrom('sims').select('id').where('iccid', '=', value).executeTakeFirst()
          : await db.selectFrom('provider_accounts').select('id').where('id', '=', value).executeTakeFirst();
      return row !== undefined;
    },

    /** Snapshots of these SIMs (by ICCID), ordered by id, with their burn rate over usage since `from`. */
    simsByIccid(iccids: string[], from: string): Promise<SimSnapshot[]> {
      if (iccids.length === 0) return Promise.resolve([]);
      return snapshots(sql`s.iccid = any(${iccids}::text[])`, iccids.length, from);
    },

    /** Crossings still in force (not cleared) for these SIMs, keyed `rule|sim|threshold`. */
    async uncleared(simIds: number[]): Promise<Map<string, AlertRow>> {
      if (simIds.length === 0) return new Map();
      const rows = await db.selectFrom('alerts').selectAll().where('sim_id', 'in', simIds).where('cleared_at', 'is', null).execute();
      return new Map(rows.map((r) => [`${r.rule_id}|${r.sim_id}|${Number(r.threshold)}`, r]));
    },

    insertAlert(values: { rule_id: string; sim_id: number; metric: AlertMetric; threshold: number; severity: AlertSeverity; value: number; message: string; data: string }) {
      return db
        .insertInto('alerts')
        .values(values)
        .onConflict((oc) => oc.columns(['rule_id', 'sim_id', 'metric', 'threshold']).where('state', '<>', 'resolved').doNothing())
        .returningAll()
        .executeTakeFirst();
    },

    /** The value moved back past threshold -/+ hysteresis: re-arm, and resolve if still open. */
    async clearAlert(id: string) {
      await db
        .updateTable('alerts')
        .set({
          cleared_at: sql<Date>`now()`,
          state: 'resolved',
          resolved_at: sql<Date>`coalesce(resolved_at, now())`,
        })
        .where('id', '=', id)
        .execute();
    },

    async listAlerts(filter: AlertFilter, page: number, pageSize: number) {
      let q = db.selectFrom('alerts').innerJoin('sims', 'sims.id', 'alerts.sim_id').leftJoin('alert_rules', 'alert_rules.id', 'alerts.rule_id');
      if (filter.state !== undefined) q = q.where('alerts.state', '=', filter.state);
      if (filter.severity !== undefined) q = q.where('alerts.severity', '=', filter.severity);
      if (filter.metric !== undefined) q = q.where('alerts.metric', '=', filter.metric);
      if (filter.iccid !== undefined) q = q.where('sims.iccid', '=', filter.iccid);
      if (filter.ruleId !== undefined) q = q.where('alerts.rule_id', '=', filter.ruleId);
      return pageOf(
        q,
        (query) =>
          query
            .selectAll('alerts')
            .select(['sims.iccid as iccid', 'alert_rules.name as rule_name'])
            .orderBy('alerts.raised_at', 'desc')
            .orderBy('alerts.id'),
        page,
        pageSize,
      );
    },

    async findAlert(id: string) {
      return db
        .selectFrom('alerts')
        .innerJoin('sims', 'sims.id', 'alerts.sim_id')
        .leftJoin('alert_rules', 'alert_rules.id', 'alerts.rule_id')
        .selectAll('alerts')
        .select(['sims.iccid as iccid', 'alert_rules.name as rule_name'])
        .where('alerts.id', '=', id)
        .executeTakeFirst();
    },

    async setState(id: string, values: { state: AlertState; acknowledged_at?: Date; acknowledged_by_user_id?: number | null; resolved_at?: Date }) {
      await db.updateTable('alerts').set(values).where('id', '=', id).execute();
    },

    /** Top-ups placed by this rule for this SIM since the start of the current period (UTC). */
    async topupsThisPeriod(ruleId: string, simId: number, period: TopupPeriod): Promise<number> {
      const row = await db
        .selectFrom('auto_topups')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('rule_id', '=', ruleId)
        .where('sim_id', '=', simId)
        .where('status', '<>', 'failed')
        .where('created_at', '>=', sql<Date>`date_trunc(${period}, now() at time zone 'utc') at time zone 'utc'`)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    insertTopup: (values: { rule_id: string; sim_id: number; alert_id: string | null }) =>
      db.insertInto('auto_topups').values(values).returning('id').executeTakeFirstOrThrow(),
    async finishTopup(id: string, status: 'succeeded' | 'failed', error: string | null) {
      await db.updateTable('auto_topups').set({ status, error }).where('id', '=', id).execute();
    },
  };
}

export type AlertsRepo = ReturnType<typeof createAlertsRepo>;
