import type { Kysely } from 'kysely';
import type { DB, Row } from '../../db/schema.js';
import { AppError, Conflict, NotFound, UnprocessableError } from '../../errors.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import { createAccountsRepo } from './accounts.repo.js';
import type { AccountDto, AccountTestDto, CreateAccountBody, UpdateAccountBody } from './accounts.schemas.js';
import type { SecretBox } from './secret-box.js';
import { isoOrNull } from '../../lib/time.js';

/** 1NCE's production API; the default for a new account. */
const DEFAULT_API_URL = 'https://api.1nce.com/management-api';
/** last_error is shown in the console; 1NCE's messages are short, this only bounds odd ones. */
const ERROR_MAX = 500;

export interface ProviderAccountsServiceDeps {
  db: Kysely<DB>;
  secretBox: SecretBox;
  provider: ProviderRegistry;
}

type AccountRow = Row<'provider_accounts'> & { sim_count?: string | number | null };

/** The API view of an account: the secret is reduced to `has_secret`, never returned in any form. */
function toDto(row: AccountRow, simCount?: number): AccountDto {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    api_url: row.api_url,
    client_id: row.client_id,
    has_secret: row.secret_ciphertext !== '',
    is_default: row.is_default,
    is_active: row.is_active,
    last_verified_at: isoOrNull(row.last_verified_at),
    last_error: row.last_error,
    sim_count: simCount ?? Number(row.sim_count ?? 0),
    created_at: isoOrNull(row.created_at) ?? '',
    updated_at: isoOrNull(row.updated_at) ?? '',
  };
}

/**
 * Administration of provider accounts (1NCE organisations). Every change drops the cached
 * provider client, so the next call uses the new URL or credentials.
 *
 * Removal rule: the default account (managed by the environment) cannot be removed; an account
 * that still owns SIMs, orders or support tickets cannot be removed either (their history would
 * lose its owner): deactivate it instead (`is_active: false`). Its product catalogue, a copy of
 * 1NCE's, is deleted with it.
 */
export function createProviderAccountsService(deps: ProviderAccountsServiceDeps) {
  const repo = createAccountsRepo(deps.db);

  async function load(id: string): Promise<AccountDto> {
    const row = (await repo.list()).find((r) => r.id === id);
    if (row === undefined) throw new NotFound('provider_account', id);
    return toDto(row);
  }

  return {
    async list() {
      const items = (await repo.list()).map((row) => toDto(row));
      return { items, total: items.length };
    },

    get: load,

    async create(body: CreateAccountBody): Promise<AccountDto> {
      const row = await repo.insert({
        name: body.name.trim(),
        api_url: body.api_url ?? DEFAULT_API_URL,
        client_id: body.client_id,
        secret_ciphertext: deps.secretBox.encrypt(body.client_secret),
        is_active: body.is_active ?? true,
      });
      return toDto(row, 0);
    },

    /**
     * Changes an account; the default account's connection is managed by the environment and only
     * its name may change. A new `api_url` must come with `client_secret` (422 `secret_required`).
     */
    async update(id: string, body: UpdateAccountBody): Promise<{ before: AccountDto; after: AccountDto }> {
      const before = await load(id);
      const touchesConnection = body.api_url !== undefined || body.client_id !== undefined || body.client_secret !== undefined || body.is_active !== undefined;
      if (before.is_default && touchesConnection) {
        throw new Conflict('The default account is configured by ONCE_API_URL / ONCE_CLIENT_ID / ONCE_CLIENT_SECRET; change it there', 'default_account_managed');
      }
      // The stored secret goes wherever api_url points: moving it needs the secret again, or an
      // admin session (or a stolen admin key) could send the 1NCE secret to a host of its choice.
      if (body.api_url !== undefined && body.api_url !== before.api_url && body.client_secret === undefined) {
        throw new UnprocessableError(
          'Changing api_url requires re-entering client_secret: the stored secret is never sent to a new URL',
          [{ field: '/body/client_secret', message: 'required when api_url changes' }],
          'secret_required',
        );
      }
      const credentialsChanged = body.api_url !== undefined || body.client_id !== undefined || body.client_secret !== undefined;
      await repo.update(id, {
        ...(body.name !== undefined && { name: body.name.trim() }),
        ...(body.api_url !== undefined && { api_url: body.api_url }),
        ...(body.client_id !== undefined && { client_id: body.client_id }),
        ...(body.client_secret !== undefined && { secret_ciphertext: deps.secretBox.encrypt(body.client_secret) }),
        ...(body.is_active !== undefined && { is_active: body.is_active }),
        // New credentials have not been verified yet.
        ...(credentialsChanged && { last_verified_at: null, last_error: null }),
      });
      deps.provider.invalidate(id);
      return { before, after: await load(id) };
    },

    async remove(id: string): Promise<AccountDto> {
      const account = await load(id);
      if (account.is_default) throw new Conflict('The default account is configured by the environment and cannot be removed', 'default_account_managed');
      const refs = await repo.references(id);
      if (refs.sims + refs.orders + refs.support_tickets > 0) {
        throw new AppError('account_in_use', 409, 'Conflict', {
          detail: `Account ${account.name} still owns ${refs.sims} SIMs, ${refs.orders} orders and ${refs.support_tickets} support tickets; deactivate it instead (is_active: false)`,
          extensions: { references: refs },
        });
      }
      await repo.delete(id);
      deps.provider.invalidate(id);
      return account;
    },

    /**
     * Checks the credentials for real: a token is fetched and one SIM page is listed. The
     * outcome is stored (`last_verified_at` on success, `last_error` either way).
     */
    async test(id: string): Promise<AccountTestDto> {
      const account = await load(id);
      if (!account.is_active) throw new Conflict(`Account ${account.name} is deactivated; activate it before testing`, 'account_inactive');
      deps.provider.invalidate(id);
      const checkedAt = new Date();
      try {
        const client = await deps.provider.get(id);
        const page = await client.listSimsPage(1, { pageSize: 1 });
        await repo.update(id, { last_verified_at: checkedAt, last_error: null });
        return { ok: true, checked_at: checkedAt.toISOString(), error: null, sims_total: page.totalCount, account: await load(id) };
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const detail = (error.detail ?? error.title).slice(0, ERROR_MAX);
        await repo.update(id, { last_error: `${error.code}: ${detail}` });
        return { ok: false, checked_at: checkedAt.toISOString(), error: { code: error.code, detail }, sims_total: null, account: await load(id) };
      }
    },
  };
}

export type ProviderAccountsService = ReturnType<typeof createProviderAccountsService>;
