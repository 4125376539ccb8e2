import type { Kysely } from 'kysely';
import { pageOf } from '../../db/paging.js';
import type { DB, NewRow, Row } from '../../db/schema.js';

export type TicketRow = Row<'support_tickets'>;
/** What 1NCE says about a case, as stored columns. */
export type ProviderTicketValues = Omit<NewRow<'support_tickets'>, 'account_id' | 'case_id'>;

/** Kysely queries over `support_tickets`: the cases opened here and those 1NCE lists. */
export function createSupportRepo(db: Kysely<DB>) {
  return {
    /** A page of tickets, newest case first (tickets not yet dated by 1NCE before them). */
    page(
      filter: { account?: string | undefined; status?: string | undefined },
      page: number,
      pageSize: number,
    ) {
      let query = db.selectFrom('support_tickets');
      if (filter.account !== undefined) query = query.where('account_id', '=', filter.account);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      return pageOf(
        query,
        (q) =>
          q
            .selectAll()
            .orderBy('create_date', (ob) => ob.desc().nullsFirst())
            .orderBy('id', 'desc'),
        page,
        pageSize,
      );
    },

    find(id: number): Promise<TicketRow | undefined> {
      return db.selectFrom('support_tickets').selectAll().where('id', '=', id).executeTakeFirst();
    },

    insert(row: NewRow<'support_tickets'>): Promise<TicketRow> {
      return db.insertInto('support_tickets').values(row).returningAll().executeTakeFirstOrThrow();
    },

    /**
     * Stores the cases 1NCE listed, newest first, in one transaction. 1NCE answers a new case with
     * no id, so a ticket we created (case_id still null) is matched to the newest unclaimed case
     * with the same subject and text.
     */
    async storeProviderCases(
      accountId: string,
      cases: Array<{ caseId: string; values: ProviderTicketValues }>,
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (const { caseId, values } of cases) {
          const known = await trx
            .selectFrom('support_tickets')
            .select('id')
            .where('account_id', '=', accountId)
            .where('case_id', '=', caseId)
            .executeTakeFirst();
          const pending =
            known ??
            (await trx
              .selectFrom('support_tickets')
              .select('id')
              .where('account_id', '=', accountId)
              .where('case_id', 'is', null)
              .where('subject', '=', values.subject ?? '')
              .where('text', '=', values.text ?? '')
              .orderBy('id', 'desc')
              .executeTakeFirst());
          if (pending !== undefined) {
            await trx
              .updateTable('support_tickets')
              .set({ case_id: caseId, ...values })
              .where('id', '=', pending.id)
              .execute();
          } else {
            await trx
              .insertInto('support_tickets')
              .values({ account_id: accountId, case_id: caseId, ...values })
              .execute();
          }
        }
      });
    },
  };
}
