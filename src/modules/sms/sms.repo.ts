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

/** How far 1NCE's submit time of a message may be from ours for it to be the part we sent. */
const ADOPT_WINDOW_MS = 15 * 60_000;

/** Queries on `sms_messages`; one row per SMS part (MT) or received message (MO). */
export function createSmsRepo(db: Kysely<DB>) {
  /**
   * A part we sent whose outcome was unknown (the request may have reached 1NCE; its answer did
   * not reach us) is the message a later sync finds at 1NCE with the same text and header,
   * submitted around the same time, when no row holds that provider id yet. It takes the provider
   * id and state instead of the sync storing the message a second time. The oldest candidate wins.
   */
  async function adoptUnknownPart(simId: number, sms: ProviderSms): Promise<boolean> {
    if (sms.submittedAt === null || sms.payload === null) return false;
    const known = await db.selectFrom('sms_messages').select('id').where('sim_id', '=', simId).where('provider_sms_id', '=', sms.id).executeTakeFirst();
    if (known !== undefined) return false;
    const candidate = await db
      .selectFrom('sms_messages')
      .select('id')
      .where('sim_id', '=', simId)
      .where('direction', '=', 'MT')
      .where('status', '=', 'UNKNOWN')
      .where('provider_sms_id', 'is', null)
      .where('payload', '=', sms.payload)
      .where(sql<boolean>`lower(coalesce(udh, '')) = ${(sms.udh ?? '').toLowerCase()}`)
      .where('submit_date', '>=', new Date(sms.submittedAt.getTime() - ADOPT_WINDOW_MS))
      .where('submit_date', '<=', new Date(sms.submittedAt.getTime() + ADOPT_WINDOW_MS))
      .orderBy('submit_date')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (candidate === undefined) return false;
    const adopted = await db
      .updateTable('sms_messages')
      .set({ ...providerState(sms), provider_sms_id: sms.id, last_error: 'outcome was unknown; found at 1NCE by a later sync' })
      .where('id', '=', candidate.id)
      .where('provider_sms_id', 'is', null)
      .executeTakeFirst();
    return Number(adopted.numUpdatedRows) === 1;
  }

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

    /** ICCIDs of SIMs holding parts of unknown outcome with no 1NCE id, submitted since `since`; the longest waiting first. */
    simsWithUnknownParts(since: Date, limit: number): Promise<Array<{ iccid: string }>> {
      return db
        .selectFrom('sms_messages')
        .innerJoin('sims', 'sims.id', 'sms_messages.sim_id')
        .select('sims.iccid')
        .select((eb) => eb.fn.min('sms_messages.submit_date').as('oldest'))
        .where('sms_messages.status', '=', 'UNKNOWN')
        .where('sms_messages.provider_sms_id', 'is', null)
        .where('sms_messages.submit_date', '>=', since)
        .groupBy('sims.iccid')
        .orderBy('oldest')
        .limit(limit)
        .execute();
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
        const state = providerState(sms);
        if (sms.direction !== 'MO' && (await adoptUnknownPart(simId, sms))) {
          updated++;
          continue;
        }
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

/** The delivery state 1NCE reports for a message, as stored columns. */
function providerState(sms: ProviderSms) {
  return {
    status: sms.status,
    status_id: statusIdOf(sms),
    delivery_date: sms.deliveredAt,
    expiry_date: sms.expiresAt,
    final_date: sms.finalAt,
    last_delivery_attempt: sms.lastDeliveryAttemptAt,
    retry_count: sms.retryCount,
    raw: sms.raw as Record<string, unknown>,
  };
}

function statusIdOf(sms: ProviderSms): number | null {
  const raw = sms.raw as { status?: { id?: unknown } };
  const id = raw.status?.id;
  return typeof id === 'number' ? id : typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : null;
}

export type SmsRepo = ReturnType<typeof createSmsRepo>;
