import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Profile } from '../../src/simulator/fleet.js';
import { START, json, startSim, type TestSim } from './sim-helpers.js';

const fleet = createFleet({ seed: 42, size: 200, epochMs: START.getTime() });
const firstOf = (profile: Profile) => {
  for (let i = 0; i < fleet.size; i++) if (fleet.sim(i).profile === profile) return fleet.sim(i);
  throw new Error(`no ${profile} SIM`);
};

describe('simulator: v2 SIM management', () => {
  let t: TestSim;
  beforeAll(async () => {
    t = await startSim();
  });
  afterAll(() => t.close());

  it('lists and gets SIMs with v1 paging headers, and uses v2 error bodies', async () => {
    const list = await t.get('/v2/sims?pageSize=5&page=3');
    expect(list.headers.get('x-total-pages')).toBe('40');
    expect(list.headers.get('x-current-page')).toBe('3');
    expect((await json(list))[0].iccid).toBe(fleet.sim(10).iccid);
    const sim = firstOf('steady');
    expect((await json(await t.get(`/v2/sims/${sim.iccid}`))).iccid_with_luhn).toBe(sim.iccidWithLuhn);
    const missing = await t.get('/v2/sims/8988280666999999999');
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ error_code: 1000, error_token: 'NotFound', message: 'Element not found' });
    const bad = await t.get('/v2/sims?page=abc');
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ error_token: 'BadRequest', message: 'Cannot parse parameter page as Int: For Input String "abc"' });
    expect((await t.send('PUT', `/v2/sims/${sim.iccid}`, { label: 'v2-label' })).status).toBe(200);
    expect((await json(await t.get(`/v2/sims/${sim.iccid}`))).label).toBe('v2-label');
  });

  it('serves SimsQuota, object status with pdp_contexts, and nested events as a bare array', async () => {
    const sim = firstOf('heavy');
    const quota = await json(await t.get(`/v2/sims/${sim.iccid}/quota/data`));
    expect(Object.keys(quota).sort()).toEqual(['accumulated_total_volume', 'created_at', 'expiry_date', 'id', 'last_volume_added', 'service', 'status', 'threshold_percentage', 'threshold_volume', 'total_volume', 'volume'].sort());
    expect(quota.service).toBe('data');
    expect(quota.threshold_volume).toBeCloseTo(quota.total_volume * 0.2, 6);
    expect(quota.expiry_date).toMatch(/Z$/);
    expect(['ACTIVE', 'EXHAUSTED', 'EXPIRED']).toContain(quota.status.description);
    expect((await json(await t.get(`/v2/sims/${sim.iccid}/quota/sms`))).service).toBe('sms');

    const status = await json(await t.get(`/v2/sims/${sim.iccid}/status`));
    expect(['ONLINE', 'ATTACHED', 'OFFLINE']).toContain(status.status.description);
    expect(Array.isArray(status.pdp_contexts)).toBe(true);
    expect(status.data_traffic_limit_state.description).toMatch(/^(NOT_)?REACHED$/);

    const events = await json(await t.get(`/v2/sims/${sim.iccid}/events?pageSize=50`));
    expect(Array.isArray(events)).toBe(true);
    expect(events.length).toBeGreaterThan(0);
    const e = events[0];
    expect(e).toMatchObject({ event_type: { id: expect.any(Number), description: expect.any(String) }, sim: { iccid: sim.iccid }, imsi: { imsi: sim.imsi }, organisation: { id: expect.any(Number) } });
    expect(e.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
  });

  it('creates SMS with a body id, lists with per_page, gets and deletes returning {id}', async () => {
    const sim = firstOf('steady');
    const created = await t.send('POST', `/v2/sims/${sim.iccid}/sms`, { payload: 'hello v2' });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    expect(typeof id).toBe('string');
    const list = await json(await t.get(`/v2/sims/${sim.iccid}/sms?per_page=1`));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: Number(id), retry_count: 0, msc: expect.any(Number), sms_type: { description: 'MT' } });
    expect((await t.get(`/v2/sims/${sim.iccid}/sms?per_page=1001`)).status).toBe(400);
    expect((await json(await t.get(`/v2/sims/${sim.iccid}/sms/${id}`))).payload).toBe('hello v2');
    const deleted = await t.send('DELETE', `/v2/sims/${sim.iccid}/sms/${id}`);
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toEqual({ id });
  });

  it('resets (201, async, emits events) and tops up with an order Location', async () => {
    const sim = firstOf('steady');
    const reset = await t.send('POST', `/v2/sims/${sim.iccid}/reset`);
    expect(reset.status).toBe(201);
    await t.control('/advance', { seconds: 30 });
    const events = await json(await t.get(`/v2/sims/${sim.iccid}/events?pageSize=5`));
    expect(events.some((e: { event_source: { description: string } }) => e.event_source.description === 'API')).toBe(true);
    const topup = await t.send('POST', `/v2/sims/${sim.iccid}/topup`);
    expect(topup.status).toBe(201);
    expect(topup.headers.get('location')).toMatch(/\/v2\/orders\/\d+$/);
  });
});
