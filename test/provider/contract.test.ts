/**
 * Contract tests: the real client against the simulator over real HTTP, in both fidelity
 * modes, with faults switched on, and at the configured /sims rate limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProviderClient, type ProviderClient, type ProviderClientOptions } from '../../src/provider/client.js';
import { ProviderNotFound, ProviderRateLimited, SimExpired } from '../../src/provider/errors.js';
import type { ProviderSim } from '../../src/provider/provider.types.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { testMetrics } from './fake-fetch.js';

type Mode = 'observed' | 'spec';

interface Stats {
  requests: Record<string, number>;
  rateLimited: { total: number; sims: number };
  faults: { total: number };
}

const running: Simulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(options: { mode?: Mode; fleetSize?: number; simsRps?: number; faults?: Record<string, number> } = {}) {
  const sim = await createSimulator({
    port: 0,
    fleetSize: options.fleetSize ?? 200,
    seed: 7,
    clientId: 'demo',
    clientSecret: 'demo-secret',
    mode: options.mode ?? 'observed',
    simsRps: options.simsRps ?? 1000,
    ...(options.faults !== undefined && { faults: options.faults }),
  });
  running.push(sim);
  const baseUrl = await sim.listen(0, '127.0.0.1');
  const origin = new URL(baseUrl).origin;
  const stats = async () => (await (await fetch(`${origin}/_simulator/stats`)).json()) as Stats;
  return { sim, baseUrl, origin, stats };
}

function client(baseUrl: string, overrides: Partial<ProviderClientOptions> = {}) {
  const m = testMetrics();
  const c = createProviderClient({
    baseUrl,
    clientId: 'demo',
    clientSecret: 'demo-secret',
    accountKey: 'contract',
    timeoutMs: 5000,
    metrics: m.metrics,
    retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 50 },
    limits: { sims: { limit: 1000, windowMs: 1000, burst: 1 } },
    ...overrides,
  });
  return { client: c, ...m };
}

async function listAll(c: ProviderClient, pageSize = 100): Promise<ProviderSim[]> {
  const all: ProviderSim[] = [];
  for await (const sim of c.listSims({ pageSize, priority: 'bulk' })) all.push(sim);
  return all;
}

const TEN_YEARS_MS = 3652 * 86_400_000;

describe.each<Mode>(['observed', 'spec'])('client against the simulator (%s fidelity)', (mode) => {
  it('lists the whole fleet with valid, normalised SIMs', async () => {
    const { baseUrl, stats } = await start({ mode });
    const { client: c } = client(baseUrl);
    const sims = await listAll(c, 30);
    expect(sims).toHaveLength(200);
    expect(new Set(sims.map((s) => s.iccid)).size).toBe(200);
    for (const s of sims) {
      expect(s.iccid).toMatch(/^\d{19}$/);
      expect(s.activationDate).toBeInstanceOf(Date);
      expect(Number.isNaN(s.activationDate!.getTime())).toBe(false);
      expect(s.state).not.toBe('unknown');
      expect(Number.isInteger(s.dataQuotaBytes)).toBe(true);
    }
    expect((await stats()).requests['GET /v2/sims']).toBe(7);
    const page = await c.listSimsPage(2, { pageSize: 50 });
    expect(page).toMatchObject({ page: 2, pageSize: 50, totalPages: 4, totalCount: 200, invalid: 0 });
    expect(page.items.map((s) => s.iccid)).toEqual(sims.slice(50, 100).map((s) => s.iccid));
  });

  it('reads status, quotas, usage, events and connectivity info of a SIM', async () => {
    const { baseUrl } = await start({ mode });
    const { client: c } = client(baseUrl);
    const sims = await listAll(c);
    const now = Date.now();
    const live = sims.find((s) => s.state === 'enabled' && now - s.activationDate!.getTime() < TEN_YEARS_MS - 86_400_000)!;
    const sim = await c.getSim(live.iccid);
    expect(sim.iccid).toBe(live.iccid);

    const connectivity = await c.getConnectivity(live.iccid);
    expect(['ONLINE', 'ATTACHED', 'OFFLINE', 'BLOCKED']).toContain(connectivity.status);

    const data = await c.getDataQuota(live.iccid);
    expect(Number.isInteger(data.remaining)).toBe(true);
    expect(data.expiresAt).toBeInstanceOf(Date);
    expect(data.state).not.toBeNull();
    const smsQuota = await c.getSmsQuota(live.iccid);
    expect(smsQuota.service).toBe('sms');

    const to = new Date(now);
    const from = new Date(now - 7 * 86_400_000);
    const usage = await c.getUsage(live.iccid, { from, to });
    expect(usage.total).not.toBeNull();
    for (const d of usage.days) {
      expect(d.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Number.isInteger(d.dataBytes)).toBe(true);
      expect(Number.isInteger(d.smsCount)).toBe(true);
    }
    const summed = usage.days.reduce((sum, d) => sum + d.dataBytes, 0);
    expect(Math.abs(summed - usage.total!.dataBytes)).toBeLessThanOrEqual(usage.days.length);

    const events = await c.listEvents(live.iccid, { pageSize: 20 });
    for (const e of events.items) expect(e.timestamp).toBeInstanceOf(Date);

    const info = await c.getConnectivityInfo(live.iccid);
    expect(info.raw).toBeDefined();
  });

  it('maps unknown ICCIDs to ProviderNotFound on v2 and v1 reads', async () => {
    const { baseUrl } = await start({ mode });
    const { client: c } = client(baseUrl);
    const unknown = '8988228066699999999';
    await expect(c.getSim(unknown)).rejects.toBeInstanceOf(ProviderNotFound);
    // v1 usage: observed fidelity answers 200 with an empty body, spec fidelity 404.
    await expect(c.getUsage(unknown, { from: '2024-01-01', to: '2024-01-02' })).rejects.toMatchObject({ status: 404, code: 'sim_not_found_at_provider' });
  });

  it('writes: update, bulk update, reset, SMS round trip, top-ups and orders', async () => {
    const { baseUrl, stats } = await start({ mode });
    const { client: c } = client(baseUrl, { limits: { sims: { limit: 1000, windowMs: 1000, burst: 1 }, orders: { limit: 1000, windowMs: 1000, burst: 1 } } });
    const sims = await listAll(c);
    const now = Date.now();
    const [a, b] = sims.filter((s) => s.state === 'enabled' && now - s.activationDate!.getTime() < TEN_YEARS_MS - 86_400_000);
    await c.updateSim(a!.iccid, { label: 'contract-label' });
    expect((await c.getSim(a!.iccid)).label).toBe('contract-label');
    await c.bulkUpdateSims([{ iccid: b!.iccid, label: 'bulk' }]);
    await c.resetConnectivity(a!.iccid);

    const { id } = await c.sendSms(a!.iccid, { payload: 'hello from the contract test' });
    expect(id).toMatch(/^\d+$/);
    const sms = await c.getSms(a!.iccid, id);
    expect(sms).toMatchObject({ id, direction: 'MT', payload: 'hello from the contract test' });
    const listed = await c.listSms(a!.iccid, { perPage: 1000 });
    expect(listed.items.map((s) => s.id)).toContain(id);
    await c.cancelSms(a!.iccid, id).catch((error: unknown) => {
      // Only pending MT-SMS can be cancelled; a delivered one is a 409 conflict.
      expect(error).toMatchObject({ status: 409 });
    });

    const single = await c.topUp(a!.iccid);
    expect(single.orderNumber).toMatch(/^\d+$/);
    const many = await c.topUpMany([a!.iccid, b!.iccid]);
    expect(many.orderNumber).toMatch(/^\d+$/);
    const order = await c.getOrder(many.orderNumber!);
    expect(order.iccids.sort()).toEqual([a!.iccid, b!.iccid].sort());
    const orders = await c.listOrders();
    expect(orders.items.length).toBeGreaterThan(0);
    expect((await c.listProducts()).length).toBeGreaterThan(0);
    await c.listSupportTickets();
    await c.getLimits();

    const s = await stats();
    expect(s.requests[`POST /v2/sims/{iccid}/sms`]).toBe(1);
    expect(s.requests['POST /v1/sims/topup']).toBe(1);
    expect(s.requests['POST /v2/sims/{iccid}/topup']).toBe(1);
  });

  it('answers an expired SIM with SimExpired', async () => {
    const { baseUrl } = await start({ mode, fleetSize: 300 });
    const { client: c } = client(baseUrl);
    const sims = await listAll(c);
    const expired = sims.find((s) => Date.now() - s.activationDate!.getTime() > TEN_YEARS_MS + 86_400_000);
    expect(expired).toBeDefined();
    const error = await c.updateSim(expired!.iccid, { label: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimExpired);
    expect(error).toMatchObject({ status: 422, code: 'sim_expired' });
  });
});

describe('client against the simulator with faults', () => {
  it('completes a full listing through 5xx, HTML 503s, malformed JSON, timeouts and token invalidation', async () => {
    const { baseUrl, stats } = await start({
      fleetSize: 300,
      faults: { serverError: 0.08, htmlUnavailable: 0.04, malformedJson: 0.05, timeout: 0.02, tokenInvalidation: 0.03 },
    });
    const { client: c, value } = client(baseUrl, { timeoutMs: 300, retry: { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 40 } });
    const sims = await listAll(c, 10);
    expect(sims).toHaveLength(300);
    expect(new Set(sims.map((s) => s.iccid)).size).toBe(300);
    const s = await stats();
    expect(s.faults.total).toBeGreaterThan(0);
    const retries =
      (await value('simfleet_provider_retries_total', { operation: 'listSims', reason: 'server_error' })) +
      (await value('simfleet_provider_retries_total', { operation: 'listSims', reason: 'bad_response' }));
    expect(retries).toBeGreaterThan(0);
    // Bounded: never more requests than pages × attempts (+ the 401 re-sends).
    expect(s.requests['GET /v2/sims']).toBeLessThanOrEqual(30 * 9);
  });

  it('never resends an SMS after a server error', async () => {
    const { baseUrl, stats, origin } = await start();
    const { client: c } = client(baseUrl);
    const [sim] = (await c.listSimsPage(1, { pageSize: 5 })).items;
    await fetch(`${origin}/_simulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ serverError: 1 }) });
    await expect(c.sendSms(sim!.iccid, { payload: 'once' })).rejects.toMatchObject({ status: 503, extensions: { mayHaveBeenProcessed: true } });
    expect((await stats()).requests['POST /v2/sims/{iccid}/sms']).toBe(1);
  });
});

describe('client at the simulator /sims rate limit', () => {
  // Throughput against the limit is a benchmark figure (npm run bench); this test proves correctness:
  // the client never exceeds the limit, so the simulator never answers 429.
  it('lists a 300-SIM fleet at the configured limit with zero 429s, never faster than the limit', async () => {
    const limit = 50;
    const { baseUrl, stats } = await start({ fleetSize: 300, simsRps: limit });
    const { client: c } = client(baseUrl, { limits: { sims: { limit, windowMs: 1000, burst: 1 } } });
    // Warm the token so the measured window contains only /sims traffic.
    await c.listSimsPage(1, { pageSize: 1 });
    const started = performance.now();
    const sims = await listAll(c, 2); // 150 pages: three times the simulator's bucket
    const seconds = (performance.now() - started) / 1000;
    expect(sims).toHaveLength(300);
    const s = await stats();
    expect(s.rateLimited.total).toBe(0);
    expect(150 / seconds).toBeLessThanOrEqual(limit);
  });

  it('control: a client that ignores the limit is throttled by the simulator', async () => {
    const { baseUrl, stats } = await start({ fleetSize: 50, simsRps: 20 });
    const { client: c } = client(baseUrl, { retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, limits: { sims: { limit: 10_000, windowMs: 1000, burst: 100 } } });
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => c.listSimsPage(1, { pageSize: 1 })));
    expect(results.some((r) => r.status === 'rejected' && r.reason instanceof ProviderRateLimited)).toBe(true);
    expect((await stats()).rateLimited.total).toBeGreaterThan(0);
  });
});
