import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

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

    /**
     * Makes the account configured by the environment the default one: created on first start,
     * updated when URL or credentials change (the name "default" is reserved for it).
     */
    async upsertDefault(values: { apiUrl: string; clientId: string; secretCiphertext: string }) {
      return db.transaction().execute(async (trx) => {
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
  };
}

export type AccountsRepo = ReturnType<typeof createAccountsRepo>;
