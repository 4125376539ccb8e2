import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { activeSim, advanceSimulator, simulatorRequests, sweptFleetApp } from '../modules/sims/fixtures.js';

describe.each(backends)('connectivity over HTTP (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;
  let operator: Record<string, string>;
  let iccid: string;

  beforeAll(async () => {
    t = await sweptFleetApp(backend);
    viewer = await authHeaders(t, 'viewer');
    operator = await authHeaders(t, 'operator');
    iccid = (await activeSim(t)).iccid;
  });
  afterAll(async () => {
    await t.close();
  });

  it("asks 1NCE for the current status, stores a snapshot and the SIM's latest state", async () => {
    const before = (await simulatorRequests(t))['GET /v2/sims/{iccid}/status'] ?? 0;
    const response = await t.app.inject({
      method: 'GET',
      url: `/api/v1/sims/${iccid}/connectivity`,
      headers: viewer,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(['ONLINE', 'ATTACHED', 'OFFLINE', 'BLOCKED', 'UNKNOWN']).toContain(body.status);
    expect(body.iccid).toBe(iccid);
    if (body.status !== 'OFFLINE') {
      expect(body.operator?.name).toEqual(expect.any(String));
      expect(body.country?.name).toEqual(expect.any(String));
    }
    expect((await simulatorRequests(t))['GET /v2/sims/{iccid}/status']).toBe(before + 1);
    const sim = (await t.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}`, headers: viewer })).json();
    expect(sim.connectivity_status).toBe(body.status);

    const cached = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/sims/${iccid}/connectivity?cached=true`,
        headers: viewer,
      })
    ).json();
    expect(cached).toEqual(body);
    expect((await simulatorRequests(t))['GET /v2/sims/{iccid}/status']).toBe(before + 1);

    await t.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}/connectivity`, headers: viewer });
    const history = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/sims/${iccid}/connectivity/history?page_size=1`,
        headers: viewer,
      })
    ).json();
    expect(history).toMatchObject({ total: 2, page_size: 1, total_pages: 2 });
    expect(Date.parse(history.items[0].observed_at)).toBeGreaterThanOrEqual(Date.parse(body.observed_at));
  });

  it('tracks a reset from request to the re-attach 1NCE reports', async () => {
    const reset = await t.app.inject({
      method: 'POST',
      url: `/api/v1/sims/${iccid}/connectivity/reset`,
      headers: operator,
    });
    expect(reset.statusCode).toBe(202);
    const requested = reset.json();
    expect(requested).toMatchObject({ iccid, status: 'requested', completed_at: null });
    expect(reset.headers.location).toBe(`/api/v1/sims/${iccid}/connectivity/resets/${requested.id}`);
    expect((await simulatorRequests(t))['POST /v2/sims/{iccid}/reset']).toBe(1);

    // 1NCE runs the reset a few seconds later and reports a new PDP context.
    await advanceSimulator(t, 30);
    const checked = await t.app.inject({
      method: 'GET',
      url: `/api/v1/sims/${iccid}/connectivity/resets/${requested.id}`,
      headers: viewer,
    });
    expect(checked.statusCode).toBe(200);
    expect(checked.json()).toMatchObject({
      id: requested.id,
      status: 'completed',
      detail: expect.stringMatching(/re-attach|status/),
    });
    expect(Date.parse(checked.json().completed_at)).toBeGreaterThanOrEqual(
      Date.parse(requested.requested_at),
    );
    const list = (
      await t.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}/connectivity/resets`, headers: viewer })
    ).json();
    expect(list.items.map((r: { id: string }) => r.id)).toEqual([requested.id]);

    const audit = await t.deps.database.db
      .selectFrom('audit_log')
      .select(['action', 'outcome'])
      .where('target_id', '=', iccid)
      .where('action', '=', 'provider.reset_connectivity')
      .execute();
    expect(audit).toEqual([{ action: 'provider.reset_connectivity', outcome: 'success' }]);
  });

  it('refuses resets by viewers and unknown resets', async () => {
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/sims/${iccid}/connectivity/reset`,
          headers: viewer,
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/sims/${iccid}/connectivity/resets/00000000-0000-4000-8000-000000000000`,
          headers: viewer,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/api/v1/sims/8988280666999999999/connectivity',
          headers: viewer,
        })
      ).statusCode,
    ).toBe(404);
  });
});
