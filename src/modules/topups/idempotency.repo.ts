import type { Kysely } from 'kysely';
import type { DB, JsonObject } from '../../db/schema.js';

/** SQL of the Idempotency-Key store (`idempotency_keys`), one row per (scope, key). */
export function createIdempotencyRepo(db: Kysely<DB>) {
  return {
    /**
     * Reserves the key for a request: true when this call inserted it. A concurrent reservation makes
     * the insert wait for its commit and then do nothing (the primary key decides), so false.
     */
    async reserve(scope: string, key: string, requestHash: string): Promise<boolean> {
      const reserved = await db.transaction().execute((trx) =>
        trx
          .insertInto('idempotency_keys')
          .values({ scope, key, request_hash: requestHash })
          .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
          .returning('key')
          .executeTakeFirst(),
      );
      return reserved !== undefined;
    },

    /** The key's row (it exists: a reservation lost to it). */
    find(scope: string, key: string) {
      return db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirstOrThrow();
    },

    /** Stores the response replayed for the key from now on. */
    async finish(scope: string, key: string, statusCode: number, response: JsonObject): Promise<void> {
      await db.updateTable('idempotency_keys').set({ status_code: statusCode, response }).where('scope', '=', scope).where('key', '=', key).execute();
    },

    /** Releases the key, so the same request may be tried again. */
    async release(scope: string, key: string): Promise<void> {
      await db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).execute();
    },
  };
}
