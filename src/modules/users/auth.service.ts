import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { Unauthorized } from '../../errors.js';
import type { Metrics } from '../../metrics.js';
import type { AccessTokens } from './access-tokens.js';
import type { AuthCache, AuthUser } from './auth-cache.js';
import { asDate, DAY_MS } from '../../lib/time.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasswordHasher } from './password.js';
import { PASSWORD_MAX_LENGTH } from './password-policy.js';
import type { Principal } from './principal.js';
import { createRefreshTokensRepo } from './refresh-tokens.repo.js';
import { createUsersRepo, type UserRow } from './users.repo.js';
import type { TokenPair } from './users.schemas.js';

export type { TokenPair } from './users.schemas.js';

/** Where a request came from; stored with refresh tokens and used for throttling. */
export interface ClientInfo {
  ip: string;
  userAgent: string | undefined;
}

/** Why a login failed (internal only: the client always sees one message). */
type LoginFailure = 'unknown_user' | 'wrong_password' | 'inactive';

const REFRESH_TOKEN_BYTES = 32;
const USER_AGENT_MAX = 512;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function invalidCredentials(): Unauthorized {
  // One message for unknown users, wrong passwords and disabled accounts: none is distinguishable.
  return new Unauthorized('Incorrect username or password', 'invalid_credentials');
}

function invalidRefresh(): Unauthorized {
  return new Unauthorized('The refresh token is not valid', 'invalid_refresh_token');
}

export interface AuthServiceDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  accessTokens: AccessTokens;
  throttle: LoginThrottle;
  metrics: Pick<Metrics, 'auth'>;
  /** Caches the per-request user lookup of access-token authentication. */
  authCache: AuthCache;
  refreshTokenTtlDays: number;
  /** Called when a rotated refresh token is presented again (after its family is revoked). */
  onRefreshReuse?: (event: { userId: number; familyId: string; client: ClientInfo }) => Promise<void>;
}

/** Password login, rotating refresh tokens, logout and access-token authentication. */
export function createAuthService(deps: AuthServiceDeps) {
  const { db, hasher, accessTokens, throttle, metrics } = deps;
  const users = createUsersRepo(db);
  const refreshTokens = createRefreshTokensRepo(db);

  const issue = async (user: UserRow, familyId: string, client: ClientInfo, trx: Kysely<DB>): Promise<{ pair: TokenPair; id: string }> => {
    const refresh = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
    const row = await refreshTokens.insert(
      {
        userId: user.id,
        familyId,
        tokenHash: hashToken(refresh),
        expiresAt: new Date(Date.now() + deps.refreshTokenTtlDays * DAY_MS),
        ip: client.ip,
        userAgent: client.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
      },
      trx,
    );
    return {
      id: row.id,
      pair: {
        access_token: await accessTokens.sign(user.id),
        refresh_token: refresh,
        token_type: 'bearer',
        expires_in: accessTokens.ttlSeconds,
      },
    };
  };

  /** Only what access-token authentication reads: the password hash never goes to the cache. */
  const loadAuthUser = async (id: number): Promise<AuthUser | undefined> => {
    const row = await users.findById(id);
    return row === undefined
      ? undefined
      : { id: row.id, username: row.username, role: row.role, is_active: row.is_active, password_changed_at: row.password_changed_at };
  };

  /** Tokens issued before the last password change are void (a stolen token dies with the old password). */
  const issuedBeforePasswordChange = (issuedAtSeconds: number, user: Pick<UserRow, 'password_changed_at'>) =>
    user.password_changed_at !== null && issuedAtSeconds < Math.floor(user.password_changed_at.getTime() / 1000);

  return {
    /**
     * Logs in by username or e-mail. Throttled per IP and per *user*: the login name is resolved
     * first, so a user's username and e-mail share one budget and one lock (names that match nobody
     * are counted by the name typed). 401 `invalid_credentials` on any failure.
     */
    async login(login: string, password: string, client: ClientInfo): Promise<{ tokens: TokenPair; user: UserRow }> {
      const found = await users.findByLogin(login);
      // Distinct prefixes: no typed name can land on a user's counter.
      const subject = found === undefined ? `login:${login}` : `id:${found.id}`;
      try {
        await throttle.check(client.ip, subject);
      } catch (error) {
        metrics.auth.attempts.inc({ method: 'password', result: 'throttled' });
        throw error;
      }
      // An over-long password is never hashed against the real user (argon2 cost), but still costs a dummy hash.
      const user = password.length > PASSWORD_MAX_LENGTH ? undefined : found;
      let failure: LoginFailure | undefined;
      if (user === undefined) {
        await hasher.verifyDummy(password);
        failure = 'unknown_user';
      } else if (!(await hasher.verify(user.password_hash, password))) {
        failure = 'wrong_password';
      } else if (!user.is_active) {
        failure = 'inactive';
      }
      if (failure !== undefined || user === undefined) {
        await throttle.recordFailure(client.ip, subject);
        metrics.auth.attempts.inc({ method: 'password', result: 'failure' });
        throw invalidCredentials();
      }

      await throttle.recordSuccess(subject);
      metrics.auth.attempts.inc({ method: 'password', result: 'success' });
      const rehash = hasher.needsRehash(user.password_hash) ? await hasher.hash(password) : undefined;
      const tokens = await db.transaction().execute(async (trx) => {
        await users.update(user.id, { last_login_at: new Date(), ...(rehash !== undefined && { password_hash: rehash }) }, trx);
        return (await issue(user, randomUUID(), client, trx)).pair;
      });
      return { tokens, user };
    },

    /**
     * Rotates a refresh token: the presented one is marked used and a successor in the same family
     * is returned. Presenting a used token again is theft or a replay: the whole family is revoked.
     */
    async refresh(presented: string, client: ClientInfo): Promise<{ tokens: TokenPair; userId: number }> {
      const result = await db.transaction().execute(async (trx) => {
        const row = await refreshTokens.findByHashForUpdate(hashToken(presented), trx);
        if (row === undefined || row.revoked_at !== null || row.expires_at.getTime() <= Date.now()) {
          return { kind: 'invalid' as const };
        }
        if (row.used_at !== null) {
          await refreshTokens.revokeFamily(row.family_id, 'reuse_detected', trx);
          return { kind: 'reuse' as const, userId: row.user_id, familyId: row.family_id };
        }
        const user = await users.findById(row.user_id, trx);
        if (user === undefined || !user.is_active || issuedBeforePasswordChange(Math.floor(asDate(row.created_at).getTime() / 1000), user)) {
          return { kind: 'invalid' as const };
        }
        const next = await issue(user, row.family_id, client, trx);
        await refreshTokens.markUsed(row.id, next.id, trx);
        return { kind: 'ok' as const, tokens: next.pair, userId: user.id };
      });

      if (result.kind === 'ok') {
        metrics.auth.attempts.inc({ method: 'refresh', result: 'success' });
        return { tokens: result.tokens, userId: result.userId };
      }
      if (result.kind === 'reuse') {
        metrics.auth.refreshTokenReuse.inc();
        metrics.auth.attempts.inc({ method: 'refresh', result: 'reuse' });
        await deps.onRefreshReuse?.({ userId: result.userId, familyId: result.familyId, client });
        throw new Unauthorized('The refresh token was already used; every session of this login has been revoked', 'refresh_token_reused');
      }
      metrics.auth.attempts.inc({ method: 'refresh', result: 'failure' });
      throw invalidRefresh();
    },

    /** Ends the session the refresh token belongs to (its whole family). Idempotent for known tokens. */
    async logout(presented: string): Promise<{ userId: number }> {
      const row = await refreshTokens.findByHash(hashToken(presented));
      if (row === undefined) throw invalidRefresh();
      await refreshTokens.revokeFamily(row.family_id, 'logout');
      return { userId: row.user_id };
    },

    /** Starts a new session for an active user (after a password change ended all the others). */
    async issueFreshSession(userId: number, client: ClientInfo): Promise<TokenPair> {
      const user = await users.findById(userId);
      if (user === undefined || !user.is_active) throw invalidCredentials();
      return db.transaction().execute(async (trx) => (await issue(user, randomUUID(), client, trx)).pair);
    },

    /**
     * Resolves a bearer access token to its user: cached, and invalidated by every change to a user,
     * so a role change, deactivation or password change applies to the next request.
     */
    async authenticateAccessToken(token: string): Promise<Principal> {
      let claims;
      try {
        claims = await accessTokens.verify(token);
      } catch (error) {
        metrics.auth.attempts.inc({ method: 'jwt', result: 'failure' });
        throw error;
      }
      const user = await deps.authCache.user(claims.userId, () => loadAuthUser(claims.userId));
      if (user === undefined || issuedBeforePasswordChange(claims.issuedAt, user)) {
        metrics.auth.attempts.inc({ method: 'jwt', result: 'failure' });
        throw new Unauthorized('The access token is no longer valid', 'invalid_token');
      }
      if (!user.is_active) {
        metrics.auth.attempts.inc({ method: 'jwt', result: 'inactive' });
        throw new Unauthorized('This account is deactivated', 'account_disabled');
      }
      metrics.auth.attempts.inc({ method: 'jwt', result: 'success' });
      return { kind: 'user', userId: user.id, username: user.username, role: user.role, userRole: user.role };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
