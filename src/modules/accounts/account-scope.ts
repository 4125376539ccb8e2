import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { NotFound } from '../../errors.js';
import { createAccountsRepo } from './accounts.repo.js';

/**
 * The provider account a request is about: the one named (it must exist), else the default
 * account. Orders, products and tickets are per 1NCE organisation.
 */
export async function resolveAccountId(db: Kysely<DB>, requested: string | undefined): Promise<string> {
  const id = await createAccountsRepo(db).idOf(requested);
  if (id === undefined) throw new NotFound('provider_account', requested);
  return id;
}
