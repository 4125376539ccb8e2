import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { ProviderAccount } from '../../provider/registry.js';
import { createAccountsRepo } from './accounts.repo.js';
import type { SecretBox } from './secret-box.js';

export interface AccountsServiceDeps {
  db: Kysely<DB>;
  secretBox: SecretBox;
}

/** Provider accounts: the 1NCE organisations whose SIMs the platform manages. */
export function createAccountsService({ db, secretBox }: AccountsServiceDeps) {
  const repo = createAccountsRepo(db);

  return {
    /**
     * Registers the environment's 1NCE credentials (or, in demo mode, the simulator's) as the
     * default account, so every SIM and every provider call belongs to an account.
     */
    async ensureDefaultAccount(provider: { apiUrl: string; clientId: string; clientSecret: string }) {
      const existing = await repo.findDefault();
      if (
        existing !== undefined &&
        existing.api_url === provider.apiUrl &&
        existing.client_id === provider.clientId &&
        safeDecrypt(secretBox, existing.secret_ciphertext) === provider.clientSecret
      ) {
        return existing;
      }
      return repo.upsertDefault({
        apiUrl: provider.apiUrl,
        clientId: provider.clientId,
        secretCiphertext: secretBox.encrypt(provider.clientSecret),
      });
    },

    /** Ids of the provider accounts a full sync covers (active ones, default first). */
    activeAccountIds: (): Promise<string[]> => repo.activeIds(),

    /** The default account's id, or undefined before one was registered. */
    async defaultAccountId(): Promise<string | undefined> {
      return (await repo.findDefault())?.id;
    },

    /** Loads an active account with its decrypted secret, for the provider client registry only. */
    async loadForClient(id: string): Promise<ProviderAccount | null> {
      const row = await repo.findById(id);
      if (row === undefined || !row.is_active) return null;
      return { id: row.id, apiUrl: row.api_url, clientId: row.client_id, clientSecret: secretBox.decrypt(row.secret_ciphertext) };
    },
  };
}

/** A secret sealed under an older key reads as "changed", so the environment's value replaces it. */
function safeDecrypt(box: SecretBox, sealed: string): string | undefined {
  try {
    return box.decrypt(sealed);
  } catch {
    return undefined;
  }
}

export type AccountsService = ReturnType<typeof createAccountsService>;
