import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ProviderAuthError, ProviderUnavailable } from '../../src/provider/errors.js';
import { createGovernor } from '../../src/provider/governor.js';
import { createTokenManager, credentialHash, type TokenManagerOptions } from '../../src/provider/token-manager.js';
import { createFakeFetch, testMetrics } from './fake-fetch.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
const redisClients: Redis[] = [];
afterAll(async () => {
  await Promise.all(redisClients.map((r) => r.quit()));
});

function setup(overrides: Partial<TokenManagerOptions> = {}) {
  const fake = createFakeFetch();
  const m = testMetrics();
  const options: TokenManagerOptions = {
    baseUrl: 'http://1nce.test/management-api',
    clientId: 'client-id',
    clientSecret: 'super-secret-value',
    fetch: fake.fetch,
    timeoutMs: 500,
    governor: createGovernor(),
    metrics: m.metrics,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
  };
  return { fake, options, tokens: createTokenManager(options), ...m };
}

describe('token manager (in-process)', () => {
  it('single-flights concurrent callers onto one token request', async () => {
    const { fake, tokens, value } = setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens.get()));
    expect(new Set(results)).toEqual(new Set(['token-1']));
    expect(fake.count('POST /oauth/token')).toBe(1);
    expect(await tokens.get()).toBe('token-1');
    expect(fake.count('POST /oauth/token')).toBe(1);
    expect(await value('simfleet_provider_token_fetches_total', { outcome: 'success' })).toBe(1);
  });

  it('refreshes before expiry (expires_in minus skew)', async () => {
    let now = 1_000_000;
    const { fake, tokens } = setup({ now: () => now, skewMs: 60_000 });
    fake.script('POST /oauth/token', { status: 200, body: { access_token: 'first', expires_in: 3600 } }, { status: 200, body: { access_token: 'second', expires_in: '3600' } });
    expect(await tokens.get()).toBe('first');
    now += 3_539_000; // 1 s before the refresh point
    expect(await tokens.get()).toBe('first');
    now += 2_000; // inside the 60 s skew: refresh although the token has not expired yet
    expect(await tokens.get()).toBe('second');
    expect(fake.count('POST /oauth/token')).toBe(2);
  });

  it('invalidates only the rejected token', async () => {
    const { fake, tokens } = setup();
    const first = await tokens.get();
    await tokens.invalidate('some-older-token');
    expect(await tokens.get()).toBe(first);
    await tokens.invalidate(first);
    expect(await tokens.get()).toBe('token-2');
    expect(fake.count('POST /oauth/token')).toBe(2);
  });

  it('maps 1NCE credential errors to ProviderAuthError without retrying or leaking the secret', async () => {
    const { fake, tokens, value } = setup();
    fake.script('POST /oauth/token', { status: 400, body: { statusCode: 400, errorCode: 'CognitoAuthenticationError', message: 'User does not exist.' } });
    const error = await tokens.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderAuthError);
    expect(error).toMatchObject({ status: 502, code: 'provider_auth_failed', extensions: { upstreamStatus: 400, upstreamCode: 'CognitoAuthenticationError' } });
    expect((error as Error).message).toBe('1NCE rejected the credentials: User does not exist.');
    expect(JSON.stringify(error)).not.toContain('super-secret');
    expect(fake.count('POST /oauth/token')).toBe(1);
    expect(await value('simfleet_provider_token_fetches_total', { outcome: 'rejected' })).toBe(1);
  });

  it('retries the token endpoint through 5xx and gives up bounded', async () => {
    const { fake, tokens } = setup();
    fake.script('POST /oauth/token', { status: 502, body: '<html><title>Bad Gateway</title></html>', headers: { 'content-type': 'text/html' } }, { status: 200, body: { access_token: 'ok', expires_in: 3600 } });
    expect(await tokens.get()).toBe('ok');
    const down = setup();
    down.fake.script('POST /oauth/token', { status: 500, body: '' });
    await expect(down.tokens.get()).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(down.fake.count('POST /oauth/token')).toBe(3);
    expect(await down.value('simfleet_provider_token_fetches_total', { outcome: 'error' })).toBe(1);
  });
});

describe.each(REDIS_URL === undefined ? [] : [REDIS_URL])('token manager shared through Redis at %s', () => {
  function redis(): Redis {
    const client = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
    redisClients.push(client);
    return client;
  }

  it('fetches one token for the whole cluster, keyed by a hash that excludes the secret', async () => {
    const keyPrefix = `test:${randomUUID()}`;
    const shared = createFakeFetch();
    const a = setup({ redis: redis(), keyPrefix, fetch: shared.fetch });
    const b = setup({ redis: redis(), keyPrefix, fetch: shared.fetch });
    // Slow token endpoint so the second process has to wait on the lock.
    shared.script('POST /oauth/token', { status: 200, body: { access_token: 'cluster-token', expires_in: 3600 } });
    const results = await Promise.all([a.tokens.get(), b.tokens.get(), a.tokens.get(), b.tokens.get()]);
    expect(new Set(results)).toEqual(new Set(['cluster-token']));
    expect(shared.count('POST /oauth/token')).toBe(1);
    const inspector = redis();
    const keys = await inspector.keys(`${keyPrefix}:*`);
    expect(keys).toEqual([`${keyPrefix}:token:${credentialHash('http://1nce.test/management-api', 'client-id')}`]);
    expect(keys.join()).not.toContain('super-secret');
    const ttl = await inspector.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_540_000);
  });

  it('a 401 in one process invalidates the shared token; a newer token survives a stale invalidation', async () => {
    const keyPrefix = `test:${randomUUID()}`;
    const shared = createFakeFetch();
    const a = setup({ redis: redis(), keyPrefix, fetch: shared.fetch });
    const b = setup({ redis: redis(), keyPrefix, fetch: shared.fetch });
    const first = await a.tokens.get();
    expect(await b.tokens.get()).toBe(first);
    await a.tokens.invalidate(first);
    const second = await a.tokens.get();
    expect(second).toBe('token-2');
    // b still holds `first` in memory; when 1NCE rejects it, b must pick up `second`, not fetch a third.
    await b.tokens.invalidate(first);
    expect(await b.tokens.get()).toBe('token-2');
    expect(shared.count('POST /oauth/token')).toBe(2);
  });
});
