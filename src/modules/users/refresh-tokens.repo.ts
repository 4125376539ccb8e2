import { sql, type Kysely } from 'kysely';
import type { DB, Row } from '../../db/schema.js';

export type RefreshTokenRow = Row<'refresh_tokens'>;

/** Kysely queries over `refresh_tokens` (only hashes are stored). */
export function createRefreshTokensRepo(db: Kysely<DB>) {
  return {
    insert(
      token: { userId: number; familyId: string; tokenHash: string; expiresAt: Date; ip: string | null; userAgent: string | null },
      trx: Kysely<DB> = db,
    ): Promise<RefreshTokenRow> {
      return trx
        .insertInto('refresh_tokens')
        .values({
          user_id: token.userId,
          family_id: token.familyId,
          token_hash: token.tokenHash,
          expires_at: token.expiresAt,
          ip: token.ip,
          user_agent: token.userAgent,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** Locks the row so two concurrent refreshes of one token serialise (the second sees it used). */
    findByHashForUpdate(tokenHash: string, trx: Kysely<DB>): Promise<RefreshTokenRow | undefined> {
      return trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).forUpdate().executeTakeFirst();
    },

    findByHash(tokenHash: string): Promise<RefreshTokenRow | undefined> {
      return db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },

    async markUsed(id: string, replacedBy: string, trx: Kysely<DB>): Promise<void> {
      await trx.updateTable('refresh_tokens').set({ used_at: sql<Date>`now()`, replaced_by: replacedBy }).where('id', '=', id).execute();
    },

    async revokeFamily(familyId: string, reason: string, trx: Kysely<DB> = db): Promise<number> {
      const result = await trx
        .updateTable('refresh_tokens')
        .set({ revoked_at: sql<Date>`now()`, revoked_reason: reason })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async revokeAllForUser(userId: number, reason: string, trx: Kysely<DB> = db): Promise<number> {
      const result = await trx
        .updateTable('refresh_tokens')
        .set({ revoked_at: sql<Date>`now()`, revoked_reason: reason })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

export type RefreshTokensRepo = ReturnType<typeof createRefreshTokensRepo>;
