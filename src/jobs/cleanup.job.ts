import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { JobDefinition } from './engine.js';

/** Rows deleted per statement, so a first cleanup of a big table never holds long locks. */
const CHUNK = 10_000;
/** Idempotency keys answer retries of the same request; a day covers any sane client retry. */
const IDEMPOTENCY_KEY_HOURS = 24;
/** Job run history and the delivery log are operational data, not owned history. */
const JOB_RUNS_DAYS = 30;
const WEBHOOK_DELIVERIES_DAYS = 30;
const STREAMER_BATCHES_DAYS = 30;

/** One retention target: a table and the condition that makes a row old. */
interface Target {
  name: string;
  table: string;
  where: ReturnType<typeof sql>;
}

async function deleteInChunks(db: Kysely<DB>, target: Target, signal: AbortSignal): Promise<number> {
  let total = 0;
  for (;;) {
    signal.throwIfAborted();
    const result = await sql`
      delete from ${sql.table(target.table)} where ctid in (
        select ctid from ${sql.table(target.table)} where ${target.where} limit ${CHUNK})`.execute(db);
    const n = Number(result.numAffectedRows ?? 0n);
    total += n;
    if (n < CHUNK) return total;
  }
}

/** The retention targets for a configuration (usage and events only when a limit is configured). */
export function retentionTargets(retention: Config['retention']): Target[] {
  const days = (n: number) => sql`now() - make_interval(days => ${n})`;
  const targets: Target[] = [];
  if (retention.usageDays !== undefined) {
    targets.push({ name: 'sim_usage', table: 'sim_usage', where: sql`day < (${days(retention.usageDays)})::date` });
    targets.push({ name: 'usage_records', table: 'usage_records', where: sql`started_at < ${days(retention.usageDays)}` });
  }
  if (retention.eventDays !== undefined) {
    targets.push({ name: 'sim_events', table: 'sim_events', where: sql`occurred_at < ${days(retention.eventDays)}` });
  }
  // Stream payloads are the raw form of streamed usage records and events alike: trimmed only when
  // both are, on the longer of the two windows.
  if (retention.usageDays !== undefined && retention.eventDays !== undefined) {
    const keepDays = Math.max(retention.usageDays, retention.eventDays);
    targets.push({ name: 'stream_payloads', table: 'stream_payloads', where: sql`received_at < ${days(keepDays)}` });
  }
  targets.push(
    { name: 'idempotency_keys', table: 'idempotency_keys', where: sql`created_at < now() - make_interval(hours => ${IDEMPOTENCY_KEY_HOURS})` },
    { name: 'job_runs', table: 'job_runs', where: sql`started_at < ${days(JOB_RUNS_DAYS)} and outcome <> 'running'` },
    {
      name: 'webhook_deliveries',
      table: 'webhook_deliveries',
      where: sql`status in ('delivered', 'dead') and created_at < ${days(WEBHOOK_DELIVERIES_DAYS)}`,
    },
    { name: 'streamer_batches', table: 'streamer_batches', where: sql`received_at < ${days(STREAMER_BATCHES_DAYS)}` },
  );
  return targets;
}

/**
 * 'cleanup': applies retention. Usage and events are kept forever unless USAGE_RETENTION_DAYS /
 * EVENT_RETENTION_DAYS are set (owned history is the point), and raw stream payloads as long as
 * either of them; operational tables (idempotency keys,
 * job runs, delivered webhooks, streamer batch log) are trimmed on fixed windows.
 */
export function cleanupJob(deps: { config: Pick<Config, 'retention'>; database: Pick<Database, 'db'> }): JobDefinition {
  return {
    name: 'cleanup',
    retryLimit: 2,
    expireInSeconds: 60 * 60,
    async handler(_data, ctx) {
      const deleted: Record<string, number> = {};
      for (const target of retentionTargets(deps.config.retention)) {
        deleted[target.name] = await deleteInChunks(deps.database.db, target, ctx.signal);
      }
      ctx.logger.info({ deleted }, 'cleanup finished');
      return { items: Object.values(deleted).reduce((a, b) => a + b, 0) };
    },
  };
}
