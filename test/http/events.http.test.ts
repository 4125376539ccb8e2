import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { activeSim, sweptFleetApp } from '../modules/sims/fixtures.js';

describe.each(backends)('SIM events over HTTP (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;
  let operator: Record<string, string>;
  let iccid: string;

  beforeAll(async () => {
    t = await sweptFleetApp(backend);
    viewer = await authHeaders(t, 'viewer');
    operator = await authHeaders(t, 'operator');
    iccid = (await activeSim(t, { quotaLeft: true, order: 'desc' })).iccid;
  });
  afterAll(async () => {
    await t.close();
  });

  const list = (query: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}/events${query}`, headers: viewer });

  it('stores the events 1NCE holds, once, however often it syncs', async () => {
    expect((await list('')).json().total).toBe(0);
    const first = await t.app.inject({
      method: 'POST',
      url: `/api/v1/sims/${iccid}/events/sync`,
      headers: operator,
    });
    expect(first.statusCode).toBe(200);
    const { fetched, inserted } = first.json();
    expect(fetched).toBeGreaterThan(0);
    expect(inserted).toBe(fetched);
    const again = (
      await t.app.inject({ method: 'POST', url: `/api/v1/sims/${iccid}/events/sync`, headers: operator })
    ).json();
    expect(again).toEqual({ fetched, inserted: 0 });
    expect((await list('?page_size=500')).json().total).toBe(fetched);
  });

  it('filters by type (name or id), severity and time, newest first, paginated', async () => {
    const all = (await list('?page_size=500')).json();
    const times = all.items.map((e: { occurred_at: string }) => e.occurred_at);
    expect(times).toEqual([...times].sort().reverse());
    const typeName = all.items[0].type as string;
    const byName = (await list(`?type=${encodeURIComponent(typeName.toUpperCase())}&page_size=500`)).json();
    expect(byName.total).toBeGreaterThan(0);
    expect(byName.items.every((e: { type: string }) => e.type === typeName)).toBe(true);
    const byId = (await list(`?type=${all.items[0].type_id as number}&page_size=500`)).json();
    expect(byId.total).toBe(byName.total);
    const info = (await list('?severity=info&page_size=500')).json();
    expect(info.items.every((e: { severity: string }) => e.severity === 'INFO')).toBe(true);
    const middle = times[Math.floor(times.length / 2)] as string;
    const recent = (await list(`?from=${encodeURIComponent(middle)}&page_size=500`)).json();
    expect(recent.items.every((e: { occurred_at: string }) => e.occurred_at >= middle)).toBe(true);
    expect(recent.total).toBeLessThan(all.total);
    const page2 = (await list('?page=2&page_size=3')).json();
    expect(page2.items.map((e: { id: string }) => e.id)).toEqual(
      all.items.slice(3, 6).map((e: { id: string }) => e.id),
    );
    expect(page2.total_pages).toBe(Math.ceil(all.total / 3));
    expect((await list('?severity=LOUD')).statusCode).toBe(400);
  });

  it('refreshes on request', async () => {
    await t.deps.database.db.deleteFrom('sim_events').execute();
    const refreshed = (await list('?refresh=true')).json();
    expect(refreshed.total).toBeGreaterThan(0);
  });
});
