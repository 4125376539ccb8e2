import { sql, type Kysely } from 'kysely';
import type { DB, Row, UserRole } from '../../db/schema.js';
import { Conflict } from '../../errors.js';

export type UserRow = Row<'users'>;

/** Filters for the admin user list. */
export interface UserListFilter {
  q?: string | undefined;
  role?: UserRole | undefined;
  active?: boolean | undefined;
}

function isUniqueViolation(error: unknown): error is { code: string; constraint?: string; message: string } {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** Translates a unique violation on users into a 409 naming the field. */
function translateUnique(error: unknown): never {
  if (isUniqueViolation(error)) {
    const text = `${error.constraint ?? ''} ${error.message}`;
    throw new Conflict(
      text.includes('email') ? 'A user with this e-mail address already exists' : 'A user with this username already exists',
      text.includes('email') ? 'email_taken' : 'username_taken',
    );
  }
  throw error;
}

/** Kysely queries over `users`; plain rows in and out. */
export function createUsersRepo(db: Kysely<DB>) {
  return {
    findById(id: number, trx: Kysely<DB> = db): Promise<UserRow | undefined> {
      return trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Case-insensitive match on username or e-mail (both are unique in lower case). */
    findByLogin(login: string): Promise<UserRow | undefined> {
      const lowered = login.toLowerCase();
      return db
        .selectFrom('users')
        .selectAll()
        .where((eb) => eb.or([eb(eb.fn('lower', ['username']), '=', lowered), eb(eb.fn('lower', ['email']), '=', lowered)]))
        .orderBy(sql`lower(username) = ${lowered}`, 'desc')
        .executeTakeFirst();
    },

    async insert(user: { username: string; email: string | null; passwordHash: string; role: UserRole; passwordChangedAt?: Date }): Promise<UserRow> {
      try {
        return await db
          .insertInto('users')
          .values({
            username: user.username,
            email: user.email,
            password_hash: user.passwordHash,
            role: user.role,
            password_changed_at: user.passwordChangedAt ?? new Date(),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        translateUnique(error);
      }
    },

    async update(
      id: number,
      changes: { role?: UserRole; is_active?: boolean; password_hash?: string; password_changed_at?: Date; last_login_at?: Date },
      trx: Kysely<DB> = db,
    ): Promise<UserRow | undefined> {
      return trx.updateTable('users').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
    },

    async count(): Promise<number> {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Active admins, locked `for update` so two concurrent demotions cannot both pass the last-admin check. */
    async lockActiveAdmins(trx: Kysely<DB>): Promise<number[]> {
      const rows = await trx.selectFrom('users').select('id').where('role', '=', 'admin').where('is_active', '=', true).forUpdate().execute();
      return rows.map((r) => r.id);
    },

    async list(filter: UserListFilter, page: number, pageSize: number): Promise<{ items: UserRow[]; total: number }> {
      let query = db.selectFrom('users');
      if (filter.q !== undefined && filter.q !== '') {
        const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
        query = query.where((eb) =>
          eb.or([eb(eb.fn('lower', ['username']), 'like', pattern), eb(eb.fn('lower', ['email']), 'like', pattern)]),
        );
      }
      if (filter.role !== undefined) query = query.where('role', '=', filter.role);
      if (filter.active !== undefined) query = query.where('is_active', '=', filter.active);
      const [items, total] = await Promise.all([
        query.selectAll().orderBy('id').limit(pageSize).offset((page - 1) * pageSize).execute(),
        query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(total.n) };
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
