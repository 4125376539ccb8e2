import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB, UserRole } from '../../db/schema.js';
import { Forbidden, NotFound, Unauthorized, ValidationError } from '../../errors.js';
import type { Metrics } from '../../metrics.js';
import { DAY_MS, isoTime } from '../../lib/time.js';
import type { AuthCache } from './auth-cache.js';
import { apiKeySecretMatches, generateApiKey, parseApiKey } from './api-key-format.js';
import { createApiKeysRepo, type ApiKeyListRow, type ApiKeyRow } from './api-keys.repo.js';
import type { Principal } from './principal.js';
import { lowerRole, roleSatisfies } from './roles.js';
import type { CreatedApiKey, PublicApiKey } from './users.schemas.js';

/** `last_used_at` is written at most this often per key, so a busy script does not turn every read into a write. */
export const LAST_USED_WRITE_INTERVAL_SECONDS = 60;
/** Past this many remembered keys, the touch map drops the ones whose interval has passed. */
const TOUCH_MAP_PRUNE_AT = 10_000;

function toPublicKey(row: ApiKeyRow, username: string): PublicApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    user_id: row.user_id,
    username,
    role_cap: row.role_cap,
    expires_at: row.expires_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    revoked_reason: row.revoked_reason,
    parent_key_id: row.parent_key_id,
    created_at: isoTime(row.created_at),
  };
}

/** The owner of a key operation: a user principal, or a key acting for its user. */
type Caller = Extract<Principal, { userId: number }>;

export interface ApiKeysServiceDeps {
  db: Kysely<DB>;
  metrics: Pick<Metrics, 'auth'>;
  /** Caches the prefix lookup; revocation invalidates it. */
  authCache: AuthCache;
  logger?: Pick<Logger, 'warn'>;
}

/** API keys: create (shown once), list, revoke, and authenticate by prefix lookup. */
export function createApiKeysService({ db, metrics, authCache, logger }: ApiKeysServiceDeps) {
  const keys = createApiKeysRepo(db);
  /**
   * When this process last wrote (or saw written) `last_used_at` per key id. A cached row keeps its
   * `last_used_at` from when it was loaded, so without this every request on a cached row would
   * attempt the write.
   */
  const touched = new Map<string, number>();

  const lastUseDue = (keyId: string, rowLastUsed: Date | null, nowMs: number): boolean => {
    const seen = Math.max(rowLastUsed?.getTime() ?? -Infinity, touched.get(keyId) ?? -Infinity);
    return nowMs - seen >= LAST_USED_WRITE_INTERVAL_SECONDS * 1000;
  };

  const rememberTouch = (keyId: string, nowMs: number) => {
    if (touched.size >= TOUCH_MAP_PRUNE_AT) {
      for (const [id, at] of touched) if (nowMs - at >= LAST_USED_WRITE_INTERVAL_SECONDS * 1000) touched.delete(id);
    }
    touched.set(keyId, nowMs);
  };

  const fail = (detail: string, code: string, result: string): Unauthorized => {
    metrics.auth.attempts.inc({ method: 'api_key', result });
    return new Unauthorized(detail, code);
  };

  return {
    /**
     * Creates a key for the caller. A key never out-ranks or outlives the credential that created it:
     * its cap may not exceed the caller's effective role, and a key created with a key inherits the
     * parent's cap and at most its expiry (a later or missing `expiresInDays` is clamped to it), is
     * recorded as its child and is revoked with it.
     */
    async create(
      caller: Caller,
      input: { name?: string | undefined; expiresInDays?: number | undefined; role?: UserRole | undefined },
    ): Promise<CreatedApiKey> {
      const cap = input.role ?? (caller.kind === 'api_key' ? caller.role : null);
      if (cap !== null && !roleSatisfies(caller.role, cap)) {
        throw new Forbidden(`A key cannot carry more rights than its creator (${caller.role})`, 'role_cap_too_high');
      }
      const name = input.name?.trim() || 'API key';
      if (name.length > 100) throw new ValidationError('name must be at most 100 characters', [{ field: 'body.name', message: 'must be at most 100 characters' }]);
      const generated = generateApiKey();
      const requested = input.expiresInDays === undefined ? null : new Date(Date.now() + input.expiresInDays * DAY_MS);
      const row = await db.transaction().execute(async (trx) => {
        let expiresAt = requested;
        let parentKeyId: string | null = null;
        if (caller.kind === 'api_key') {
          const parent = await keys.lockParent(caller.apiKeyId, trx);
          // Revoked between authentication and here: the child would be born orphaned.
          if (parent === undefined || parent.revoked_at !== null) throw fail('The API key has been revoked', 'api_key_revoked', 'revoked');
          parentKeyId = parent.id;
          if (parent.expires_at !== null && (expiresAt === null || expiresAt > parent.expires_at)) expiresAt = parent.expires_at;
        }
        return keys.insert(
          { userId: caller.userId, name, prefix: generated.prefix, secretHash: generated.secretHash, roleCap: cap, expiresAt, parentKeyId },
          trx,
        );
      });
      return { ...toPublicKey(row, caller.username), api_key: generated.key };
    },

    /** The caller's keys; `all` (admins only) lists every user's keys. */
    async list(caller: Caller, options: { all: boolean; includeRevoked: boolean }): Promise<PublicApiKey[]> {
      if (options.all && caller.role !== 'admin') throw new Forbidden('Only admins may list every user\'s API keys');
      const rows: ApiKeyListRow[] = await keys.list(options.all ? undefined : caller.userId, options.includeRevoked);
      return rows.map((row) => toPublicKey(row, row.owner_username));
    },

    /**
     * Revokes the caller's own key, or any key for an admin, with every key created from it (and from
     * those). Others' keys read as 404 (no existence oracle).
     */
    async revoke(caller: Caller, id: string): Promise<{ before: PublicApiKey; after: PublicApiKey; descendants: string[] }> {
      const existing = await keys.findById(id);
      if (existing === undefined || (existing.user_id !== caller.userId && caller.role !== 'admin')) {
        throw new NotFound('API key', id);
      }
      const { revoked, descendants } = await db.transaction().execute(async (trx) => {
        const own = await keys.revoke(id, trx);
        return { revoked: own, descendants: await keys.revokeDescendants([id], trx) };
      });
      await authCache.invalidate();
      return { before: toPublicKey(existing, ''), after: toPublicKey(revoked!, ''), descendants };
    },


    /**
     * Resolves `X-API-Key`: the key and its owner by prefix (cached, else one indexed lookup), then per
     * request the constant-time hash comparison, revocation, expiry and owner checks.
     */
    async authenticate(presented: string): Promise<Principal> {
      const parsed = parseApiKey(presented);
      if (parsed === undefined) throw fail('The API key is malformed', 'invalid_api_key', 'malformed');
      const row = await authCache.apiKey(parsed.prefix, () => keys.findByPrefixWithOwner(parsed.prefix));
      if (row === undefined || !apiKeySecretMatches(parsed.secret, row.secret_hash)) {
        throw fail('The API key is not valid', 'invalid_api_key', 'failure');
      }
      if (row.revoked_at !== null) throw fail('The API key has been revoked', 'api_key_revoked', 'revoked');
      if (row.expires_at !== null && row.expires_at.getTime() <= Date.now()) {
        throw fail('The API key has expired', 'api_key_expired', 'expired');
      }
      if (!row.owner_active) throw fail('The account owning this API key is deactivated', 'account_disabled', 'inactive');

      const nowMs = Date.now();
      if (lastUseDue(row.id, row.last_used_at, nowMs)) {
        // Remembered before the write, so concurrent requests on this key do not all attempt it.
        rememberTouch(row.id, nowMs);
        // Bookkeeping must never fail the request it describes.
        await keys.touchLastUsed(row.id, LAST_USED_WRITE_INTERVAL_SECONDS).catch((error: unknown) => {
          logger?.warn({ err: { message: (error as Error).message } }, 'could not record API key use');
        });
      }
      metrics.auth.attempts.inc({ method: 'api_key', result: 'success' });
      return {
        kind: 'api_key',
        userId: row.user_id,
        username: row.owner_username,
        role: lowerRole(row.owner_role, row.role_cap),
        userRole: row.owner_role,
        apiKeyId: row.id,
        apiKeyName: row.name,
      };
    },

    countActive: () => keys.countActive(),
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
