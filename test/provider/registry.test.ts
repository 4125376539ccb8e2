import { describe, expect, it } from 'vitest';
import { NotFound } from '../../src/errors.js';
import { createProviderRegistry, type ProviderAccount } from '../../src/provider/registry.js';
import { createFakeFetch, testMetrics } from './fake-fetch.js';

describe('provider registry', () => {
  function setup(accountTtlMs = 60_000) {
    const accounts = new Map<string, ProviderAccount>([
      ['a', { id: 'a', apiUrl: 'http://1nce.test/management-api', clientId: 'id-a', clientSecret: 'secret-a' }],
      ['b', { id: 'b', apiUrl: 'http://1nce.test/management-api', clientId: 'id-b', clientSecret: 'secret-b' }],
    ]);
    const loads: string[] = [];
    const fake = createFakeFetch();
    const registry = createProviderRegistry({
      loadAccount: async (id) => {
        loads.push(id);
        await new Promise((r) => setTimeout(r, 5));
        return accounts.get(id) ?? null;
      },
      timeoutMs: 500,
      metrics: testMetrics().metrics,
      fetch: fake.fetch,
      accountTtlMs,
    });
    return { accounts, loads, registry, fake };
  }

  it('loads each account once and caches one client per account', async () => {
    const { loads, registry } = setup();
    const [a1, a2, b] = await Promise.all([registry.get('a'), registry.get('a'), registry.get('b')]);
    expect(a1).toBe(a2);
    expect(b).not.toBe(a1);
    expect(a1.accountKey).toBe('a');
    expect(await registry.get('a')).toBe(a1);
    expect(loads).toEqual(['a', 'b']);
  });

  it('rebuilds the client when credentials change, keeps it when they do not', async () => {
    // TTL 0: every get re-reads the account row.
    const { accounts, loads, registry, fake } = setup(0);
    const same = await registry.get('a');
    expect(await registry.get('a')).toBe(same);
    expect(loads).toEqual(['a', 'a']);
    accounts.set('a', { ...accounts.get('a')!, clientSecret: 'rotated' });
    const rotated = await registry.get('a');
    expect(rotated).not.toBe(same);
    fake.script('GET /v1/products', { status: 200, body: [] });
    await rotated.listProducts();
    const basic = fake.calls.find((c) => c.path === '/oauth/token')!.headers.authorization;
    expect(Buffer.from(basic!.slice(6), 'base64').toString()).toBe('id-a:rotated');
  });

  it('throws NotFound for an unknown account', async () => {
    const { registry } = setup();
    await expect(registry.get('nope')).rejects.toBeInstanceOf(NotFound);
  });
});
