/**
 * OAuth token for one 1NCE credential: `POST /oauth/token` with Basic auth and a JSON
 * `client_credentials` body, cached until `expires_in - skew`.
 *
 * In one process concurrent callers share one fetch (single flight). With Redis, the token is
 * stored under a key derived from a hash of base URL + client id (never the secret), so the whole
 * cluster uses one token per credential; a short `SET NX` lock makes one process fetch while the
 * others poll the key. A 401 on an API call invalidates exactly the rejected token (compare and
 * delete, so a token another process just refreshed survives) and the next `get` fetches anew.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ProviderAuthError, ProviderBadResponse, ProviderRateLimited, ProviderTimeout, ProviderUnavailable } from './errors.js';
import type { Governor } from './governor.js';
import type { ProviderMetrics } from '../metrics/provider.js';
import { validators } from './provider.schemas.js';
import { toNumber } from './decode.js';
import { classifyNetworkError, parseRetryAfter, planRetry, sleep, type FailureKind, type RetryOptions } from './retry.js';
import { buildUrl, summarizeErrorBody, type ProviderLogger } from './transport.js';
import type { TokenManager } from './provider.types.js';

export type { TokenManager } from './provider.types.js';

export interface TokenManagerOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  fetch: typeof fetch;
  timeoutMs: number;
  governor: Governor;
  metrics: ProviderMetrics;
  retry: RetryOptions;
  redis?: Redis | undefined;
  keyPrefix?: string;
  /** Refresh this long before expiry (default 60 s). */
  skewMs?: number;
  /** How long one process may hold the fetch lock (default 10 s). */
  lockTtlMs?: number;
  pollIntervalMs?: number;
  logger?: ProviderLogger | undefined;
  now?: () => number;
}

interface CachedToken {
  accessToken: string;
  /** Epoch ms when the client should stop using it (expiry minus skew). */
  refreshAt: number;
}

const OPERATION = 'fetchToken';

// Deletes the cached token only if it is the rejected one.
const INVALIDATE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, decoded = pcall(cjson.decode, v)
if (not ok) or decoded.accessToken == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Redis key fragment for a credential: a hash of base URL and client id, never the secret. */
export function credentialHash(baseUrl: string, clientId: string): string {
  return createHash('sha256').update(`${baseUrl.replace(/\/+$/, '')}\n${clientId}`).digest('hex').slice(0, 32);
}

/** Creates the token manager for one credential. */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const now = options.now ?? Date.now;
  const skewMs = options.skewMs ?? 60_000;
  const lockTtlMs = options.lockTtlMs ?? 10_000;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const prefix = options.keyPrefix ?? 'simfleet:provider';
  const hash = credentialHash(options.baseUrl, options.clientId);
  const tokenKey = `${prefix}:token:${hash}`;
  const lockKey = `${prefix}:token:${hash}:lock`;
  const basic = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
  const redis = options.redis;

  let cached: CachedToken | undefined;
  let inflight: Promise<string> | undefined;

  const fresh = (token: CachedToken | undefined): token is CachedToken => token !== undefined && token.refreshAt > now();

  /** One token request with bounded retries; maps every failure to a typed error. */
  async function fetchToken(signal: AbortSignal | undefined): Promise<CachedToken> {
    for (let attempt = 1; ; attempt++) {
      await options.governor.acquire('oauth', { priority: 'interactive', signal, scope: 'ip' });
      const timeout = AbortSignal.timeout(options.timeoutMs);
      let failure: { kind: FailureKind; error: Error; retryAfterMs?: number };
      try {
        const response = await options.fetch(buildUrl(options.baseUrl, '/oauth/token'), {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ grant_type: 'client_credentials' }),
          signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        });
        const text = await response.text();
        options.metrics.requests.inc({ operation: OPERATION, status: String(response.status) });
        const status = response.status;
        if (status >= 200 && status < 300) {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch (error) {
            body = error;
          }
          if (validators.token.check(body)) {
            options.metrics.tokenFetches.inc({ outcome: 'success' });
            const lifetimeMs = (toNumber(body.expires_in) ?? 3600) * 1000;
            // A short-lived token still gets used for at least half its life.
            const refreshAt = now() + Math.max(lifetimeMs - skewMs, lifetimeMs / 2);
            return { accessToken: body.access_token, refreshAt };
          }
          failure = {
            kind: 'bad_response',
            error: new ProviderBadResponse({ operation: OPERATION, upstreamStatus: status }, 'The 1NCE token response could not be decoded'),
          };
        } else {
          const summary = summarizeErrorBody(text, response.headers.get('content-type'));
          const context = {
            operation: OPERATION,
            upstreamStatus: status,
            ...(summary.code !== undefined && { upstreamCode: summary.code }),
            ...(summary.message !== undefined && { upstreamMessage: summary.message }),
          };
          if (status === 429) {
            const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
            options.metrics.rateLimited.inc({ family: 'oauth' });
            await options.governor.penalize('oauth', 'ip', retryAfterMs ?? 1000);
            failure = { kind: 'rate_limited', error: new ProviderRateLimited(retryAfterMs ?? 1000, context), ...(retryAfterMs !== undefined && { retryAfterMs }) };
          } else if (status >= 500) {
            failure = { kind: 'server_error', error: new ProviderUnavailable(context) };
          } else {
            // 400 BadCredentials / CognitoAuthenticationError / validation errors, 401, 403, or a 404 from a wrong host.
            options.metrics.tokenFetches.inc({ outcome: 'rejected' });
            throw new ProviderAuthError(
              context,
              status === 404 ? '1NCE token endpoint not found (check the API URL)' : '1NCE rejected the credentials',
            );
          }
        }
      } catch (error) {
        if (error instanceof ProviderAuthError) throw error;
        if (signal?.aborted === true) throw signal.reason;
        if (timeout.aborted) {
          options.metrics.requests.inc({ operation: OPERATION, status: 'timeout' });
          failure = { kind: 'timeout', error: new ProviderTimeout(options.timeoutMs, { operation: OPERATION, cause: error }) };
        } else {
          options.metrics.requests.inc({ operation: OPERATION, status: 'network_error' });
          failure = {
            kind: classifyNetworkError(error),
            error: new ProviderUnavailable({ operation: OPERATION, cause: error }, 'Could not reach the 1NCE token endpoint'),
          };
        }
      }
      // Asking for a token twice is harmless (1NCE returns the same cached token), so it is idempotent.
      const delayMs = planRetry(failure.kind, attempt, true, options.retry, failure.retryAfterMs);
      if (delayMs === null) {
        options.metrics.tokenFetches.inc({ outcome: 'error' });
        throw failure.error;
      }
      options.metrics.retries.inc({ operation: OPERATION, reason: failure.kind });
      await sleep(delayMs, signal);
    }
  }

  async function readShared(): Promise<CachedToken | undefined> {
    const value = await viaRedis(redis!.get(tokenKey));
    if (value === null) return undefined;
    try {
      const parsed = JSON.parse(value) as Partial<CachedToken>;
      if (typeof parsed.accessToken === 'string' && typeof parsed.refreshAt === 'number') {
        return { accessToken: parsed.accessToken, refreshAt: parsed.refreshAt };
      }
    } catch {
      // A corrupt entry is treated as absent and overwritten by the next fetch.
    }
    return undefined;
  }

  async function fetchShared(signal: AbortSignal | undefined): Promise<CachedToken> {
    const deadline = now() + lockTtlMs + options.timeoutMs;
    while (now() < deadline) {
      const shared = await readShared();
      if (fresh(shared)) return shared;
      const lockId = randomUUID();
      const locked = await viaRedis(redis!.set(lockKey, lockId, 'PX', lockTtlMs, 'NX'));
      if (locked === 'OK') {
        try {
          const again = await readShared();
          if (fresh(again)) return again;
          const token = await fetchToken(signal);
          const ttl = Math.floor(token.refreshAt - now());
          if (ttl > 0) {
            // The token is good even if sharing it fails; keep it process-local then.
            await redis!.set(tokenKey, JSON.stringify(token), 'PX', ttl).catch((error: unknown) => {
              options.logger?.warn({ err: error }, 'token cache: could not store the shared token');
            });
          }
          return token;
        } finally {
          await redis!.eval(RELEASE_SCRIPT, 1, lockKey, lockId).catch(() => undefined);
        }
      }
      await sleep(pollIntervalMs, signal);
    }
    // The lock holder is stuck; fetch ourselves rather than wait forever.
    return fetchToken(signal);
  }

  async function obtain(signal: AbortSignal | undefined): Promise<string> {
    if (redis !== undefined) {
      try {
        cached = await fetchShared(signal);
        return cached.accessToken;
      } catch (error) {
        if (!(error instanceof SharedCacheError)) throw error;
        options.logger?.warn({ err: error }, 'token cache: Redis unavailable, fetching a process-local token');
      }
    }
    cached = await fetchToken(signal);
    return cached.accessToken;
  }

  return {
    async get(signal) {
      if (fresh(cached)) return cached.accessToken;
      // Single flight: the fetch is not tied to the first caller's signal, so one caller aborting
      // does not fail the others; each caller can still stop waiting on its own signal.
      inflight ??= obtain(undefined).finally(() => {
        inflight = undefined;
      });
      if (signal === undefined) return inflight;
      return Promise.race([
        inflight,
        new Promise<string>((_, reject) => {
          if (signal.aborted) reject(signal.reason as Error);
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
      ]);
    },

    async invalidate(token) {
      if (cached?.accessToken === token) cached = undefined;
      if (redis !== undefined) {
        try {
          await redis.eval(INVALIDATE_SCRIPT, 1, tokenKey, token);
        } catch (error) {
          options.logger?.warn({ err: error }, 'token cache: could not invalidate the shared token');
        }
      }
    },
  };
}

/** A Redis command failed (as opposed to the token endpoint). */
class SharedCacheError extends Error {
  constructor(cause: unknown) {
    super('Redis command failed', { cause });
    this.name = 'SharedCacheError';
  }
}

function viaRedis<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    throw new SharedCacheError(error);
  });
}
