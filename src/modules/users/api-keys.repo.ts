import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { ApiKeyRevokedReason, DB, Row, UserRole } from '../../db/schema.js';

export type ApiKeyRow = Row<'api_keys'>;

/** The key columns and owner fields authentication needs, read in one query; auth-cache.ts caches them (and revives the dates). */
export type ApiKeyWithOwner = Pick<ApiKeyRow, 'id' | 'user_id' | 'name' | 'secret_hash' | 'role_cap' | 'expires_at' | 'last_used_at' | 'revoked_at'> & {
  owner_username: string;
  owner_role: UserRole;
  owner_active: boolean;
};

/** An API key row joined with its owner's username, for listings. */
export type ApiKeyListRow = ApiKeyRow & { owner_username: string };

/** Kysely queries over `api_keys`. Lookups go through the unique `prefix` index, never a scan. */
export function createApiKeysRepo(db: Kysely<DB>) {
  // Built and compiled once: this runs on every API-key cache miss, and the builder's parse and compile
  // steps cost more CPU than the indexed lookup itself. Only the parameter changes per call.
  const byPrefixWithOwner = db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .select([
      'api_keys.id',
      'api_keys.user_id',
      'api_keys.name',
      'api_keys.secret_hash',
      'api_keys.role_cap',
      'api_keys.expires_at',
      'api_keys.last_used_at',
      'api_keys.revoked_at',
      'users.username as owner_username',
      'users.role as owner_role',
      'users.is_active as owner_active',
    ])
    .where('api_keys.prefix', '=', '')
    .compile();

  return {
    insert(
      key: {
        userId: number;
        name: string;
        prefix: string;
        secretHash: string;
        roleCap: UserRole | null;
        expiresAt: Date | null;
        parentKeyId: string | null;
      },
      trx: Kysely<DB> = db,
    ): Promise<ApiKeyRow> {
      return trx
        .insertInto('api_keys')
        .values({
          user_id: key.userId,
          name: key.name,
          prefix: key.prefix,
          secret_hash: key.secretHash,
          role_cap: key.roleCap,
          expires_at: key.expiresAt,
          parent_key_id: key.parentKeyId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** The key with its owner's current role and active flag, read fresh on every call (the service caches the result). */
    async findByPrefixWithOwner(prefix: string): Promise<ApiKeyWithOwner | undefined> {
      const result = await db.executeQuery<ApiKeyWithOwner>(CompiledQuery.raw(byPrefixWithOwner.sql, [prefix]));
      return result.rows[0];
    },

    findById(id: string): Promise<ApiKeyRow | undefined> {
      return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /**
     * The parent of a key being created, locked `for share`: a concurrent revocation of the parent
     * (an `UPDATE` of this row) waits for the child's insert to commit, and its cascade then sees it.
     */
    lockParent(id: string, trx: Kysely<DB>): Promise<Pick<ApiKeyRow, 'id' | 'expires_at' | 'revoked_at'> | undefined> {
      return trx.selectFrom('api_keys').select(['id', 'expires_at', 'revoked_at']).where('id', '=', id).forShare().executeTakeFirst();
    },

    /** Newest first; `userId` undefined lists every user's keys (admins). */
    list(userId: number | undefined, includeRevoked: boolean): Promise<ApiKeyListRow[]> {
      let query = db
        .selectFrom('api_keys')
        .innerJoin('users', 'users.id', 'api_keys.user_id')
        .selectAll('api_keys')
        .select('users.username as owner_username');
      if (userId !== undefined) query = query.where('api_keys.user_id', '=', userId);
      if (!includeRevoked) query = query.where('api_keys.revoked_at', 'is', null);
      return query.orderBy('api_keys.created_at', 'desc').orderBy('api_keys.id').execute();
    },

    /** Sets `revoked_at` (and why) once; a second revocation keeps the first timestamp and reason. */
    revoke(id: string, trx: Kysely<DB> = db): Promise<ApiKeyRow | undefined> {
      return trx
        .updateTable('api_keys')
        .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())`, revoked_reason: sql<ApiKeyRevokedReason>`coalesce(revoked_reason, 'revoked')` })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Revokes every live key descending from `rootIds` (children, their children, ...) with reason
     * `parent_revoked`. A separate statement from the roots' own revocation, so that it runs on a
     * snapshot taken after the roots' row locks were granted (see `lockParent`). Returns the ids.
     */
    async revokeDescendants(rootIds: string[], trx: Kysely<DB> = db): Promise<string[]> {
      if (rootIds.length === 0) return [];
      const result = await sql<{ id: string }>`
        with recursive tree(id) as (
          select id from api_keys where parent_key_id = any(${rootIds}::uuid[])
          union
          select k.id from api_keys k join tree on k.parent_key_id = tree.id
        )
        update api_keys set revoked_at = now(), revoked_reason = 'parent_revoked'
        where id in (select id from tree) and revoked_at is null
        returning id`.execute(trx);
      return result.rows.map((row) => row.id);
    },

    /** Revokes every live key of a user (a password change); returns the ids. */
    async revokeAllForUser(userId: number, reason: ApiKeyRevokedReason, trx: Kysely<DB> = db): Promise<string[]> {
      const rows = await trx
        .updateTable('api_keys')
        .set({ revoked_at: sql<Date>`now()`, revoked_reason: reason })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute();
      return rows.map((row) => row.id);
    },

    /** Records use; the `where` keeps concurrent replicas from all writing within the same minute. */
    async touchLastUsed(id: string, minIntervalSeconds: number): Promise<void> {
      await db
        .updateTable('api_keys')
        .set({ last_used_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - make_interval(secs => ${minIntervalSeconds})`)]),
        )
        .execute();
    },

    async countActive(): Promise<number> {
      const row = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export type ApiKeysRepo = ReturnType<typeof createApiKeysRepo>;
