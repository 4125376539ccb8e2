import { sql, type Kysely } from 'kysely';
import type { DB, NewRow, Row, SmsDirection, SmsStatus } from '../../db/schema.js';
import type { ProviderSms } from '../../provider/provider.types.js';
import { pageOf } from '../../db/paging.js';

export type SmsRow = Row<'sms_messages'>;

/** Filters of an SMS listing. */
export interface SmsFilter {
  direction?: SmsDirection | undefined;
  status?: SmsStatus | undefined;
  /** Inclusive lower bound on the submit time. */
  from?: Date | undefined;
  /** Exclusive upper bound on the submit time. */
  to?: Date | undefined;
}

/** Queries on `sms_messages`; one row per SMS part (MT) or received message (MO). */
export function createSmsRepo(db: Kysely<DB>) {
  return {
    /** Inserts the parts of one outgoing message before any of them is sent. */
    insertParts(rows: Array<NewRow<'sms_messages'>>) {
      return db.insertInto('sms_messages').values(rows).returningAll().execute();
    },

    /** Records 1NCE's answer for one part. */
    update(id: number, values: Partial<NewRow<'sms_messages'>>) {
      return db.updateTable('sms_messages').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    },

    findById(simId: number, id: number) {
      return db.selectFrom('sms_messages').selectAll().where('sim_id', '=', simId).where('id', '=', id).executeTakeFirst();
    },

    findGroup(group: string) {
      return db.selectFrom('sms_messages').selectAll().where('message_group', '=', group).orderBy('part_number').execute();
    },

    async page(simId: number, filter: SmsFilter, page: number, pageSize: number): Promise<{ items: SmsRow[]; total: number }> {
      let query = db.selectFrom('sms_messages').where('sim_id', '=', simId);
      if (filter.direction !== undefined) query = query.where('direction', '=', filter.direction);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.from !== undefined) query = query.where('submit_date', '>=', filter.from);
      if (filter.to !== undefined) query = query.where('submit_date', '<', filter.to);
      const { rows, total } = await pageOf(
        query,
        (q) =>
          q
            .selectAll()
            .orderBy('submit_date', (ob) => ob.desc().nullsFirst())
            .orderBy('id', 'desc'),
        page,
        pageSize,
      );
      return { items: rows, total };
    },

    /**
     * Upserts what 1NCE reports, keyed by (SIM, provider id): MT parts we sent get their delivery
     * state, MO messages and MT sent elsewhere are inserted. Returns how many rows were new.
     */
    async upsertFromProvider(simId: number, messages: ProviderSms[]): Promise<{ inserted: SmsRow[]; updated: number }> {
      const inserted: SmsRow[] = [];
      let updated = 0;
      for (const sms of messages) {
        const state = {
          status: sms.status,
          status_id: statusIdOf(sms),
          delivery_date: sms.deliveredAt,
          expiry_date: sms.expiresAt,
          final_date: sms.finalAt,
          last_delivery_attempt: sms.lastDeliveryAttemptAt,
          retry_count: sms.retryCount,
          raw: sms.raw as Record<string, unknown>,
        };
        const row = await db
          .insertInto('sms_messages')
          .values({
            sim_id: simId,
            provider_sms_id: sms.id,
            direction: sms.direction === 'MO' ? 'MO' : 'MT',
            payload: sms.payload,
            udh: sms.udh === '' ? null : sms.udh,
            dcs: sms.dcs,
            source_address: sms.sourceAddress,
            destination_address: sms.direction === 'MO' ? null : sms.msisdn,
            submit_date: sms.submittedAt,
            ...state,
          })
          .onConflict((oc) => oc.columns(['sim_id', 'provider_sms_id']).doUpdateSet(state))
          // xmax = 0 only for a freshly inserted tuple: tells inserts from updates in one statement.
          .returningAll()
          .returning(sql<boolean>`(xmax = 0)`.as('was_inserted'))
          .executeTakeFirstOrThrow();
        const { was_inserted: wasInserted, ...stored } = row;
        if (wasInserted) inserted.push(stored);
        else updated++;
      }
      return { inserted, updated };
    },
  };
}

function statusIdOf(sms: ProviderSms): number | null {
  const raw = sms.raw as { status?: { id?: unknown } };
  const id = raw.status?.id;
  return typeof id === 'number' ? id : typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : null;
}

export type SmsRepo = ReturnType<typeof createSmsRepo>;
