import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { AuditOutcome, DB, NewRow, Row } from '../../db/schema.js';
import { isUuid } from '../../lib/identifiers.js';

export type AuditRow = Row<'audit_log'>;

/** Filters of the audit query and export. */
export interface AuditFilter {
  /** Username (case-insensitive), user id, or API key id. */
  actor?: string | undefined;
  /** Exact action, or a prefix when it ends with `*` (e.g. `auth.*`). */
  action?: string | undefined;
  /** Target id, or `type:id`. */
  target?: string | undefined;
  outcome?: AuditOutcome | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}


function applyFilter<O>(query: SelectQueryBuilder<DB, 'audit_log', O>, filter: AuditFilter): SelectQueryBuilder<DB, 'audit_log', O> {
  let q = query;
  if (filter.actor !== undefined) {
    const actor = filter.actor;
    q = q.where((eb) => {
      const options = [eb(eb.fn('lower', ['actor_username']), '=', actor.toLowerCase())];
      if (/^\d{1,15}$/.test(actor)) options.push(eb('actor_user_id', '=', Number(actor)));
      if (isUuid(actor)) options.push(eb('actor_api_key_id', '=', actor.toLowerCase()));
      return eb.or(options);
    });
  }
  if (filter.action !== undefined) {
    q = filter.action.endsWith('*')
      ? q.where('action', 'like', `${filter.action.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`)
      : q.where('action', '=', filter.action);
  }
  if (filter.target !== undefined) {
    const separator = filter.target.indexOf(':');
    q =
      separator > 0
        ? q.where('target_type', '=', filter.target.slice(0, separator)).where('target_id', '=', filter.target.slice(separator + 1))
        : q.where('target_id', '=', filter.target);
  }
  if (filter.outcome !== undefined) q = q.where('outcome', '=', filter.outcome);
  if (filter.from !== undefined) q = q.where('occurred_at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('occurred_at', '<', filter.to);
  return q;
}

/** Inserts and reads `audit_log`. There is deliberately no update or delete here (a trigger forbids them too). */
export function createAuditRepo(db: Kysely<DB>) {
  return {
    async insert(row: NewRow<'audit_log'>): Promise<void> {
      await db.insertInto('audit_log').values(row).execute();
    },

    async page(filter: AuditFilter, page: number, pageSize: number): Promise<{ items: AuditRow[]; total: number }> {
      const [items, total] = await Promise.all([
        applyFilter(db.selectFrom('audit_log').selectAll(), filter)
          .orderBy('occurred_at', 'desc')
          .orderBy('id', 'desc')
          .limit(pageSize)
          .offset((page - 1) * pageSize)
          .execute(),
        applyFilter(db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')), filter).executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(total.n) };
    },

    /** Newest first, in keyset batches (`id` below `beforeId`), so an export never holds the table in memory. */
    batch(filter: AuditFilter, beforeId: number | undefined, size: number): Promise<AuditRow[]> {
      let query = applyFilter(db.selectFrom('audit_log').selectAll(), filter);
      if (beforeId !== undefined) query = query.where('id', '<', beforeId);
      return query.orderBy('id', 'desc').limit(size).execute();
    },
  };
}
