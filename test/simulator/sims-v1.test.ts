import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Profile } from '../../src/simulator/fleet.js';
import { START, json, startSim, type TestSim } from './sim-helpers.js';

const fleet = createFleet({ seed: 42, size: 200, epochMs: START.getTime() });
const firstOf = (profile: Profile) => {
  for (let i = 0; i < fleet.size; i++) if (fleet.sim(i).profile === profile) return fleet.sim(i);
  throw new Error(`no ${profile} SIM in the test fleet`);
};

describe('simulator: v1 SIM management (observed fidelity)', () => {
  let t: TestSim;
  beforeAll(async () => {
    t = await startSim();
  });
  afterAll(() => t.close());

  it('lists SIMs as a bare array with X-* paging headers and 1NCE security headers', async () => {
    const res = await t.get('/v1/sims?page=2&pageSize=30');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(res.headers.get('x-total-count')).toBe('200');
    expect(res.headers.get('x-total-pages')).toBe('7');
    expect(res.headers.get('x-current-page')).toBe('2');
    expect(res.headers.get('x-count-per-page')).toBe('30');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-store, max-age=0, must-revalidate');
    const sims = await json(res);
    expect(Array.isArray(sims)).toBe(true);
    expect(sims).toHaveLength(30);
    expect(sims[0].iccid).toBe(fleet.sim(30).iccid);
    const defaults = await t.get('/v1/sims');
    expect(defaults.headers.get('x-count-per-page')).toBe('10');
    expect(await json(defaults)).toHaveLength(10);
    const beyond = await t.get('/v1/sims?page=99&pageSize=100');
    expect(await json(beyond)).toEqual([]);
    expect((await t.get('/v1/sims?pageSize=101')).status).toBe(400);
  });

  it('renders SIM cards with the observed field names, formats and omitted optionals', async () => {
    const sims = await json(await t.get('/v1/sims?pageSize=100'));
    for (const sim of sims) {
      expect(sim.iccid).toMatch(/^89882806\d{11}$/);
      expect(sim.iccid_with_luhn).toMatch(new RegExp(`^${sim.iccid}\\d$`));
      expect(sim.imsi).toMatch(/^901405\d{9}$/);
      expect(sim.msisdn).toMatch(/^882285\d{9}$/);
      expect(sim.activation_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/);
      expect(sim.ip_address).toMatch(/^10\.\d+\.\d+\.\d+$/);
      expect(typeof sim.current_quota).toBe('number');
      expect(typeof sim.current_quota_SMS).toBe('number');
      expect([0, 1, 2]).toContain(sim.quota_status.id);
      expect(['Enabled', 'Disabled']).toContain(sim.status);
      if ('imei' in sim) expect(sim.imei).toMatch(/^\d{15}$/);
      if ('label' in sim) expect(typeof sim.label).toBe('string');
      expect(Object.values(sim)).not.toContain(null);
    }
    expect(sims.some((s: object) => !('imei' in s))).toBe(true);
    expect(sims.some((s: object) => !('label' in s))).toBe(true);
    expect(new Set(sims.map((s: { ip_address: string }) => s.ip_address)).size).toBe(sims.length);
  });

  it('filters by ip_address / imei and sorts by imei', async () => {
    const target = fleet.sim(17);
    const byIp = await t.get(`/v1/sims?q=ip_address:${target.ipAddress}`);
    expect(byIp.headers.get('x-total-count')).toBe('1');
    expect((await json(byIp))[0].iccid).toBe(target.iccid);
    const withImei = firstOf('heavy');
    const byImei = await json(await t.get(`/v1/sims?q=imei:${withImei.imei}`));
    expect(byImei.map((s: { iccid: string }) => s.iccid)).toContain(withImei.iccid);
    const sorted = await json(await t.get('/v1/sims?sort=-imei&pageSize=20'));
    const imeis = sorted.map((s: { imei?: string }) => s.imei).filter((x: string | undefined) => x !== undefined);
    expect([...imeis].sort().reverse()).toEqual(imeis);
    expect((await t.get('/v1/sims?q=label:x')).status).toBe(400);
  });

  it('answers an unknown ICCID with 200, Content-Length 0 and an empty body', async () => {
    const res = await t.get('/v1/sims/11111222233444');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('0');
    expect(await res.text()).toBe('');
    const status = await t.get('/v1/sims/8988280666999999999/status');
    expect(status.status).toBe(200);
    expect(await status.text()).toBe('');
  });

  it('serves quotas with numbers and zone-less dates, usage as strings with a TOTAL row', async () => {
    const sim = firstOf('steady');
    const quota = await json(await t.get(`/v1/sims/${sim.iccid}/quota/data`));
    expect(Object.keys(quota)).toEqual(['volume', 'total_volume', 'expiry_date', 'peak_throughput', 'last_volume_added', 'last_status_change_date', 'threshold_percentage']);
    expect(typeof quota.volume).toBe('number');
    expect(quota.expiry_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(quota.last_status_change_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const sms = await json(await t.get(`/v1/sims/${sim.iccid}/quota/sms`));
    expect(sms).not.toHaveProperty('peak_throughput');
    expect(sms.total_volume).toBe(250 * (sim.smsTotal / 250));

    const usage = await json(await t.get(`/v1/sims/${sim.iccid}/usage?start_dt=2025-06-01&end_dt=2025-06-15`));
    expect(usage.stats).toHaveLength(16);
    expect(usage.stats[0].date).toBe('2025-06-15');
    expect(usage.stats[14].date).toBe('2025-06-01');
    expect(usage.stats[15].date).toBe('TOTAL');
    for (const row of usage.stats) {
      for (const v of [...Object.values(row.data), ...Object.values(row.sms)]) expect(v).toMatch(/^\d+(\.\d{1,6})?$/);
    }
    const sum = usage.stats.slice(0, 15).reduce((a: number, r: { data: { volume: string } }) => a + Number(r.data.volume), 0);
    expect(Number(usage.stats[15].data.volume)).toBeCloseTo(sum, 5);
    const nonsense = await json(await t.get(`/v1/sims/${sim.iccid}/usage?start_dt=2000&end_dt=1998`));
    expect(nonsense.stats).toEqual([{ date: 'TOTAL', data: { volume: '0', volume_tx: '0', volume_rx: '0' }, sms: { volume: '0', volume_tx: '0', volume_rx: '0' } }]);
  });

  it('serves status, connectivity_info and events in their v1 shapes', async () => {
    const sim = firstOf('heavy');
    const status = await json(await t.get(`/v1/sims/${sim.iccid}/status`));
    expect(['ONLINE', 'ATTACHED', 'OFFLINE']).toContain(status.status);
    expect(Array.isArray(status.services)).toBe(true);
    expect(status.location.last_updated).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(typeof status.location.operator.id).toBe('number');
    const info = await json(await t.get(`/v1/sims/${sim.iccid}/connectivity_info?ussd=true`));
    expect(info.request_timestamp).toMatch(/\+0000$/);
    expect(info).toHaveProperty('ussd_info');
    const events = await t.get(`/v1/sims/${sim.iccid}/events?pageSize=5`);
    const body = await json(events);
    expect(body.events.length).toBeLessThanOrEqual(5);
    expect(body.totalEvents).toBe(Number(events.headers.get('x-total-count')));
    expect(body.events[0].timestamp >= body.events[body.events.length - 1].timestamp).toBe(true);
    expect((await t.get(`/v1/sims/${sim.iccid}/events?pageSize=1001`)).status).toBe(400);
  });

  it('applies PUT at once and bulk POST only after the asynchronous delay', async () => {
    const a = fleet.sim(3);
    const b = fleet.sim(4);
    const put = await t.send('PUT', `/v1/sims/${a.iccid}`, { label: 'Test Label' });
    expect(put.status).toBe(200);
    expect(put.headers.get('content-length')).toBe('0');
    expect((await json(await t.get(`/v1/sims/${a.iccid}`))).label).toBe('Test Label');
    expect((await t.send('PUT', `/v1/sims/${a.iccid}`, {})).status).toBe(200);

    const bulk = await t.send('POST', '/v1/sims', [{ iccid: b.iccid, label: 'bulk-1', status: 'Disabled' }]);
    expect(bulk.status).toBe(201);
    expect(await bulk.text()).toBe('');
    expect((await json(await t.get(`/v1/sims/${b.iccid}`))).label).not.toBe('bulk-1');
    await t.control('/advance', { seconds: 10 });
    const after = await json(await t.get(`/v1/sims/${b.iccid}`));
    expect(after).toMatchObject({ label: 'bulk-1', status: 'Disabled' });
    expect((await t.send('POST', '/v1/sims', [])).status).toBe(201);
    expect((await t.send('POST', '/v1/sims', { iccid: b.iccid })).status).toBe(400);
  });

  it('answers 422 for expired SIMs except on extension, which revives them', async () => {
    const expired = firstOf('expired');
    for (const [method, path] of [
      ['GET', `/v1/sims/${expired.iccid}`],
      ['GET', `/v1/sims/${expired.iccid}/quota/data`],
      ['PUT', `/v1/sims/${expired.iccid}`],
      ['POST', `/v1/sims/${expired.iccid}/topup`],
    ] as const) {
      const res = await t.send(method, path, method === 'PUT' ? { label: 'x' } : undefined);
      expect(res.status, `${method} ${path}`).toBe(422);
      expect((await json(res)).message).toContain('expired');
    }
    expect((await t.send('POST', '/v1/sims/topup', [expired.iccid])).status).toBe(422);
    const ext = await t.send('POST', '/v1/sims/extension', { iccids: [expired.iccid] });
    expect(ext.status).toBe(201);
    const revived = await json(await t.get(`/v1/sims/${expired.iccid}/quota/data`));
    expect(revived.volume).toBe(500);
  });

  it('sends SMS with the id only in the Location header, then lists, gets and cancels it', async () => {
    const sim = firstOf('steady');
    const res = await t.send('POST', `/v1/sims/${sim.iccid}/sms`, { payload: 'test SMS' });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('');
    const location = res.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^https://bss-global\\.api\\.1nce\\.com/internal-global-api/v1/sims/${sim.iccid}/sms/\\d+$`));
    const id = location.split('/').pop()!;
    const one = await json(await t.get(`/v1/sims/${sim.iccid}/sms/${id}`));
    expect(one).toMatchObject({ id: Number(id), payload: 'test SMS', retry_count: '0', sms_type: { id: 1, description: 'MT' }, status: { id: 2, description: 'PENDING' } });
    expect(one.submit_date).toMatch(/\+0000$/);
    const list = await t.get(`/v1/sims/${sim.iccid}/sms`);
    expect((await json(list)).map((s: { id: number }) => s.id)).toContain(Number(id));
    expect((await t.send('DELETE', `/v1/sims/${sim.iccid}/sms/${id}`)).status).toBe(200);
    expect((await t.get(`/v1/sims/${sim.iccid}/sms/${id}`)).status).toBe(404);
    expect((await t.send('POST', `/v1/sims/${sim.iccid}/sms`, { source_address: '123' })).status).toBe(400);
  });

  it('creates orders for single and multiple top-ups and adds 500 MB', async () => {
    const sim = firstOf('nearly_exhausted');
    const before = await json(await t.get(`/v1/sims/${sim.iccid}/quota/data`));
    const res = await t.send('POST', `/v1/sims/${sim.iccid}/topup?payment_method=creditcard`);
    expect(res.status).toBe(201);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/\/management-api\/v1\/orders\/\d+$/);
    const order = await json(await t.get(`/v1/orders/${location.split('/').pop()}`));
    expect(order).toMatchObject({ order_type: 'TOPUP', sims: [{ iccid: sim.iccid }] });
    const after = await json(await t.get(`/v1/sims/${sim.iccid}/quota/data`));
    expect(after.volume).toBeCloseTo(before.volume + 500, 3);
    expect(after.total_volume).toBeCloseTo(before.volume + 500, 3);

    const multi = await t.send('POST', '/v1/sims/topup', [fleet.sim(5).iccid, fleet.sim(6).iccid]);
    expect(multi.status).toBe(201);
    const bulk = await json(await t.get(`/v1/orders/${multi.headers.get('location')!.split('/').pop()}`));
    expect(bulk.order_type).toBe('BULK_TOPUP');
    expect(bulk.sims).toHaveLength(2);
    const bad = await t.send('POST', `/v1/sims/${sim.iccid}/topup?payment_method=bitcoin`);
    expect(bad.status).toBe(400);
    expect(await json(bad)).toEqual({ message: 'Payment method used is not valid.' });
  });

  it('routes literal segments before {iccid}: limits, autoTopup, simTransfer', async () => {
    const limits = await json(await t.get('/v1/sims/limits'));
    expect(limits.data).toMatchObject({ unit: 'MB' });
    expect(limits.smsMt).toMatchObject({ unit: 'SMS' });
    const options = await json(await t.get('/v1/sims/data/limits'));
    expect(options[0]).toMatchObject({ id: 1, unit: 'MB' });
    expect((await t.send('POST', '/v1/sims/limits', { dataLimitId: options[1].id })).status).toBe(201);
    expect((await json(await t.get('/v1/sims/limits'))).data.id).toBe(options[1].id);
    expect((await t.send('POST', '/v1/sims/autoTopup', { enabled: true, iccids: [fleet.sim(7).iccid] })).status).toBe(201);
    const stats = await json(await t.control('/stats'));
    expect(stats.requests['GET /v1/sims/limits']).toBeGreaterThan(0);
    expect(stats.requests['GET /v1/sims/{service}/limits']).toBe(1);

    const count = Number((await t.get('/v1/sims')).headers.get('x-total-count'));
    const moved = fleet.sim(199);
    expect((await t.send('POST', '/v1/sims/simTransfer', { target_organisation: 2000000001, iccids: [moved.iccid] })).status).toBe(201);
    expect((await t.get('/v1/sims')).headers.get('x-total-count')).toBe(String(count - 1));
    expect(await (await t.get(`/v1/sims/${moved.iccid}`)).text()).toBe('');
  });

  it('serves orders (pageSize <= 10), products and support (default pageSize 1)', async () => {
    const orders = await t.get('/v1/orders');
    expect(orders.status).toBe(200);
    const list = await json(orders);
    expect(list[0]).toHaveProperty('order_number');
    expect((await t.get('/v1/orders?pageSize=11')).status).toBe(400);
    const created = await t.send('POST', '/v1/orders', { products: [{ productId: 1001, quantity: 5 }] });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(/\/v1\/orders\/\d+$/);
    const products = await json(await t.get('/v1/products'));
    expect(products[0]).toMatchObject({ id: 1001, maxQuantityPerCustomer: expect.any(Number) });
    const support = await json(await t.get('/v1/support'));
    expect(support).toHaveLength(1);
    expect((await t.send('POST', '/v1/support', { replyToMail: 'a@b.c', senderName: 'Ops', subject: 'Help', text: 'Please' })).status).toBe(201);
    expect((await t.get('/v1/support?pageSize=100')).headers.get('x-total-count')).toBe('3');
  });
});

describe('simulator: spec fidelity', () => {
  let t: TestSim;
  beforeAll(async () => {
    t = await startSim({ mode: 'spec' });
  });
  afterAll(() => t.close());

  it('answers 404 JSON for unknown ICCIDs and ISO quota dates', async () => {
    const res = await t.get('/v1/sims/8988280666999999999');
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ status: 404, error: 'Not Found', path: '/internal-global-api/v1/sims/8988280666999999999' });
    const quota = await json(await t.get(`/v1/sims/${firstOf('steady').iccid}/quota/data`));
    expect(quota.expiry_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
    const sms = await t.send('POST', `/v1/sims/${firstOf('heavy').iccid}/sms`, { payload: 'x' });
    expect(sms.headers.get('location')).toMatch(new RegExp(`^${t.base}/v1/sims/\\d+/sms/\\d+$`));
  });
});
