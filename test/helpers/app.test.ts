import { describe, expect, it } from 'vitest';
import { buildTestApp } from './app.js';

describe('buildTestApp with a simulator', () => {
  it('registers the simulator as the default provider account', async () => {
    const t = await buildTestApp({ simulator: { fleetSize: 12 } });
    try {
      expect(t.accountId).toEqual(expect.any(String));
      const client = await t.deps.provider.get(t.accountId!);
      const page = await client.listSimsPage(1, { pageSize: 100 });
      expect(page.items).toHaveLength(12);
      const stats = (await (await fetch(`${t.simulatorOrigin!}/_simulator/stats`)).json()) as { requests: Record<string, number> };
      expect(stats.requests['GET /v1/sims'] ?? stats.requests['GET /v2/sims']).toBeGreaterThanOrEqual(1);
    } finally {
      await t.close();
    }
  });
});
