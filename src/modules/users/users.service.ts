import type { Kysely } from 'kysely';
import type { DB, UserRole } from '../../db/schema.js';
import { Conflict, NotFound, ValidationError } from '../../errors.js';
import type { AuthCache } from './auth-cache.js';
import { isoTime } from '../../lib/time.js';
import type { PasswordHasher } from './password.js';
import { assertPasswordPolicy } from './password-policy.js';
import { createApiKeysRepo } from './api-keys.repo.js';
import { createRefreshTokensRepo } from './refresh-tokens.repo.js';
import { createUsersRepo, type UserListFilter, type UserRow } from './users.repo.js';
import { pageReply, type PageReply } from '../../db/paging.js';
import type { PublicUser } from './users.schemas.js';

export type { PublicUser } from './users.schemas.js';

/** One page of users. */
export type UserPage = PageReply<PublicUser>;


/** Usernames are ids in URLs, logs and CSV exports: no '@' (that is what tells them from e-mails), no spaces. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{2,49}$/;

/** A user row with secrets removed and times as ISO strings. */
export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    is_active: row.is_active,
    last_login_at: row.last_login_at?.toISOString() ?? null,
    password_changed_at: row.password_changed_at?.toISOString() ?? null,
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
  };
}

export interface UsersServiceDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  /**
   * Invalidated after every committed change to a user's role, activation or password, so cached
   * authentication lookups never outlive the change. Creating a user needs no invalidation.
   */
  authCache: Pick<AuthCache, 'invalidate'>;
  /** Clock in ms of password changes (compared with access tokens' issue times); default `Date.now`. */
  now?: () => number;
}

/** User administration: create, list, roles, activation and passwords. */
export function createUsersService({ db, hasher, authCache, now = Date.now }: UsersServiceDeps) {
  const users = createUsersRepo(db);
  const refreshTokens = createRefreshTokensRepo(db);
  const apiKeys = createApiKeysRepo(db);

  const load = async (id: number, trx: Kysely<DB> = db): Promise<UserRow> => {
    const row = await users.findById(id, trx);
    if (row === undefined) throw new NotFound('user', String(id));
    return row;
  };

  /** Refuses a change that would leave no active admin (`for update` serialises concurrent demotions). */
  const assertAdminRemains = async (trx: Kysely<DB>, target: UserRow) => {
    if (target.role !== 'admin' || !target.is_active) return;
    const admins = await users.lockActiveAdmins(trx);
    if (admins.filter((id) => id !== target.id).length === 0) {
      throw new Conflict('This is the last active admin; promote another admin first', 'last_admin');
    }
  };

  /**
   * Sets a new password and ends everything the old one opened: refresh tokens (sessions), access
   * tokens issued before now (via password_changed_at, see auth.service) and every API key of the
   * user, since each was created by such a session or from such a key (docs/auth.md).
   */
  const setPasswordHash = async (id: number, password: string, reason: 'password_changed' | 'password_reset') => {
    const passwordHash = await hasher.hash(password);
    const revokedKeys = await db.transaction().execute(async (trx) => {
      await users.update(id, { password_hash: passwordHash, password_changed_at: new Date(now()) }, trx);
      await refreshTokens.revokeAllForUser(id, reason, trx);
      return apiKeys.revokeAllForUser(id, reason, trx);
    });
    await authCache.invalidate();
    return revokedKeys;
  };

  return {
    async createUser(input: { username: string; email?: string | null; password: string; role?: UserRole }): Promise<PublicUser> {
      const username = input.username.trim();
      if (!USERNAME_PATTERN.test(username)) {
        throw new ValidationError('username must be 3-50 characters: letters, digits, ".", "_" or "-"', [
          { field: 'body.username', message: 'must be 3-50 characters of letters, digits, ".", "_" or "-"' },
        ]);
      }
      const email = input.email?.trim() || null;
      assertPasswordPolicy(input.password, { username, email });
      const passwordHash = await hasher.hash(input.password);
      const row = await users.insert({ username, email, passwordHash, role: input.role ?? 'viewer', passwordChangedAt: new Date(now()) });
      return toPublicUser(row);
    },

    async getUser(id: number): Promise<PublicUser> {
      return toPublicUser(await load(id));
    },

    async listUsers(filter: UserListFilter, page: number, pageSize: number): Promise<UserPage> {
      const { items, total } = await users.list(filter, page, pageSize);
      return pageReply(items.map(toPublicUser), total, page, pageSize);
    },

    async changeRole(id: number, role: UserRole): Promise<{ before: PublicUser; after: PublicUser }> {
      const result = await db.transaction().execute(async (trx) => {
        const before = await load(id, trx);
        if (before.role === role) return { before: toPublicUser(before), after: toPublicUser(before) };
        if (role !== 'admin') await assertAdminRemains(trx, before);
        const after = await users.update(id, { role }, trx);
        return { before: toPublicUser(before), after: toPublicUser(after!) };
      });
      await authCache.invalidate();
      return result;
    },

    async setActive(id: number, active: boolean): Promise<{ before: PublicUser; after: PublicUser }> {
      const result = await db.transaction().execute(async (trx) => {
        const before = await load(id, trx);
        if (!active) await assertAdminRemains(trx, before);
        const after = await users.update(id, { is_active: active }, trx);
        // Sessions end with the account; API keys need no change (authentication checks the owner).
        if (!active) await refreshTokens.revokeAllForUser(id, 'user_deactivated', trx);
        return { before: toPublicUser(before), after: toPublicUser(after!) };
      });
      await authCache.invalidate();
      return result;
    },

    /** Admin sets a new password: every session and API key of the user ends. */
    async resetPassword(id: number, password: string): Promise<{ user: PublicUser; revokedApiKeys: string[] }> {
      const user = await load(id);
      assertPasswordPolicy(password, user, 'body.new_password');
      const revokedApiKeys = await setPasswordHash(id, password, 'password_reset');
      return { user: toPublicUser(await load(id)), revokedApiKeys };
    },

    /** The caller changes their own password after proving the current one; returns the API keys it revoked. */
    async changeOwnPassword(id: number, currentPassword: string, newPassword: string): Promise<{ revokedApiKeys: string[] }> {
      const user = await load(id);
      if (!(await hasher.verify(user.password_hash, currentPassword))) {
        throw new ValidationError('The current password is not correct', [{ field: 'body.current_password', message: 'is not correct' }], 'invalid_current_password');
      }
      if (currentPassword === newPassword) {
        throw new ValidationError('The new password must differ from the current one', [{ field: 'body.new_password', message: 'must differ from the current password' }], 'password_unchanged');
      }
      assertPasswordPolicy(newPassword, user, 'body.new_password');
      return { revokedApiKeys: await setPasswordHash(id, newPassword, 'password_changed') };
    },

    countUsers: () => users.count(),
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
