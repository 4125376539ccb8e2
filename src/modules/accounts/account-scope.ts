import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { NotFound } from '../../errors.js';

/**
 * The provider account a request is about: the one named (it must exist), else the default
 * account. Orders, products and tickets are per 1NCE organisation.
 */
export async function resolveAccountId(db: Kysely<DB>, requested: string | undefined): Promise<string> {
  const query = db.selectFrom('provider_accounts').select('id');
  const row =
    requested === undefined
      ? await query.where('is_default', '=', true).executeTakeFirst()
      : await query.where('id', '=', requested).executeTakeFirst();
  if (row === undefined) throw new NotFound('provider_account', requested);
  return row.id;
}
