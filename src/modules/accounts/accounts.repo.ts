import type { Kysely } from 'kysely';
import type { DB, NewRow, RowUpdate } from '../../db/schema.js';
import { Conflict } from '../../errors.js';
import { lockForTransaction } from '../../db/locks.js';

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** Queries on `provider_accounts`. Secrets stay sealed here; the service decrypts. */
export function createAccountsRepo(db: Kysely<DB>) {
  return {
    /** The account row by id, or undefined. */
    findById(id: string) {
      return db.selectFrom('provider_accounts').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** The default account, or undefined when none is marked default. */
    findDefault() {
      return db.selectFrom('provider_accounts').selectAll().where('is_default', '=', true).executeTakeFirst();
    },

    /** The id of the account named, or of the default one when none is named; undefined when there is no such account. */
    async idOf(requested: string | undefined): Promise<string | undefined> {
      const query = db.selectFrom('provider_accounts').select('id');
      const row = requested === undefined ? await query.where('is_default', '=', true).executeTakeFirst() : await query.where('id', '=', requested).executeTakeFirst();
      return row?.id;
    },

    /**
     * Makes the account configured by the environment the default one: created on first start,
     * updated when URL or credentials change (the name "default" is reserved for it).
     */
    async upsertDefault(values: { apiUrl: string; clientId: string; secretCiphertext: string }) {
      return db.transaction().execute(async (trx) => {
        // Replicas starting together all get here: one at a time, so only the first inserts.
        await lockForTransaction(trx, 'default-account');
        const existing = await trx.selectFrom('provider_accounts').select('id').where('is_default', '=', true).executeTakeFirst();
        if (existing !== undefined) {
          return trx
            .updateTable('provider_accounts')
            .set({ api_url: values.apiUrl, client_id: values.clientId, secret_ciphertext: values.secretCiphertext, is_active: true })
            .where('id', '=', existing.id)
            .returningAll()
            .executeTakeFirstOrThrow();
        }
        return trx
          .insertInto('provider_accounts')
          .values({
            name: 'default',
            api_url: values.apiUrl,
            client_id: values.clientId,
            secret_ciphertext: values.secretCiphertext,
            is_default: true,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      });
    },

    /** Ids of the active accounts, default first, then by name. */
    async activeIds(): Promise<string[]> {
      const rows = await db.selectFrom('provider_accounts').select('id').where('is_active', '=', true).orderBy('is_default', 'desc').orderBy('name').execute();
      return rows.map((r) => r.id);
    },

    /** Every account's id and name. */
    names(): Promise<Array<{ id: string; name: string }>> {
      return db.selectFrom('provider_accounts').select(['id', 'name']).execute();
    },

    /** Every account with the number of SIMs it owns, default first, then by name. */
    list() {
      return db
        .selectFrom('provider_accounts as a')
        .selectAll('a')
        .select((eb) => eb.selectFrom('sims').whereRef('sims.account_id', '=', 'a.id').select(eb.fn.countAll<string>().as('n')).as('sim_count'))
        .orderBy('a.is_default', 'desc')
        .orderBy('a.name')
        .execute();
    },

    /** Inserts an account; a duplicate name is a 409. */
    async insert(values: NewRow<'provider_accounts'>) {
      try {
        return await db.insertInto('provider_accounts').values(values).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error)) throw new Conflict(`a provider account named ${values.name} already exists`, 'account_name_taken');
        throw error;
      }
    },

    /** Updates an account; undefined when it does not exist, 409 on a duplicate name. */
    async update(id: string, values: RowUpdate<'provider_accounts'>) {
      try {
        return await db.updateTable('provider_accounts').set(values).where('id', '=', id).returningAll().executeTakeFirst();
      } catch (error) {
        if (isUniqueViolation(error)) throw new Conflict('a provider account with that name already exists', 'account_name_taken');
        throw error;
      }
    },

    /** Rows that keep an account from being deleted (foreign keys with ON DELETE RESTRICT). */
    async references(id: string): Promise<{ sims: number; orders: number; support_tickets: number }> {
      const count = (table: 'sims' | 'orders' | 'support_tickets') =>
        db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', id).executeTakeFirstOrThrow();
      const [sims, orders, tickets] = await Promise.all([count('sims'), count('orders'), count('support_tickets')]);
      return { sims: Number(sims.n), orders: Number(orders.n), support_tickets: Number(tickets.n) };
    },

    /** Deletes an account (its cached product catalogue goes with it); true when a row was deleted. */
    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('provider_accounts').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export type AccountsRepo = ReturnType<typeof createAccountsRepo>;
