import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLuhnValid, isValidIccid, isValidImei, isValidImsi, isValidMsisdn } from '../../src/lib/identifiers.js';
import { createFleet } from '../../src/simulator/fleet.js';
import { createSimulator } from '../../src/simulator/index.js';
import { START, json, startSim, type TestSim } from './sim-helpers.js';

describe('simulator: seeded fleet', () => {
  it('is deterministic per seed and different across seeds', () => {
    const a = createFleet({ seed: 7, size: 1000, epochMs: START.getTime() });
    const b = createFleet({ seed: 7, size: 1000, epochMs: START.getTime() });
    const c = createFleet({ seed: 8, size: 1000, epochMs: START.getTime() });
    for (const i of [0, 1, 500, 999]) expect(a.sim(i)).toEqual(b.sim(i));
    expect(a.sim(0).iccid).not.toBe(c.sim(0).iccid);
  });

  it('generates valid, unique identifiers and a realistic profile mix', () => {
    const fleet = createFleet({ seed: 3, size: 5000, epochMs: START.getTime() });
    const iccids = new Set<string>();
    const ips = new Set<string>();
    const profiles = new Map<string, number>();
    let withoutImei = 0;
    for (let i = 0; i < fleet.size; i++) {
      const s = fleet.sim(i);
      expect(s.iccid).toMatch(/^89882806\d{11}$/);
      expect(isValidIccid(s.iccid)).toBe(true);
      expect(isLuhnValid(s.iccidWithLuhn)).toBe(true);
      expect(isValidImsi(s.imsi) && s.imsi.startsWith('901405')).toBe(true);
      expect(isValidMsisdn(s.msisdn) && s.msisdn.startsWith('882285')).toBe(true);
      if (s.imei === undefined) withoutImei++;
      else expect(isValidImei(s.imei)).toBe(true);
      iccids.add(s.iccid);
      ips.add(s.ipAddress);
      expect(fleet.indexOfIccid(s.iccid)).toBe(i);
      expect(fleet.indexOfIccid(s.iccidWithLuhn)).toBe(i);
      expect(fleet.indexOfIp(s.ipAddress)).toBe(i);
      profiles.set(s.profile, (profiles.get(s.profile) ?? 0) + 1);
    }
    expect(iccids.size).toBe(fleet.size);
    expect(ips.size).toBe(fleet.size);
    expect(withoutImei).toBeGreaterThan(0);
    for (const p of ['idle', 'steady', 'heavy', 'nearly_exhausted', 'exhausted', 'disabled', 'expired']) expect(profiles.get(p) ?? 0).toBeGreaterThan(50);
  });

  it('creates a 100,000-SIM simulator quickly and pages through it without scanning', async () => {
    const started = Date.now();
    const sim = await createSimulator({ port: 0, fleetSize: 100_000, seed: 1, clientId: 'demo', clientSecret: 'demo-secret', mode: 'observed', simsRps: 100_000, startTime: START });
    expect(Date.now() - started).toBeLessThan(2000);
    try {
      const base = await sim.listen(0);
      const token = (await json(await fetch(`${base}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('demo:demo-secret').toString('base64')}`, 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' }))).access_token;
      const pageStarted = Date.now();
      for (const page of [1, 500, 1000]) {
        const res = await fetch(`${base}/v1/sims?pageSize=100&page=${page}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.headers.get('x-total-count')).toBe('100000');
        expect(await json(res)).toHaveLength(100);
      }
      expect(Date.now() - pageStarted).toBeLessThan(1000);
    } finally {
      await sim.close();
    }
  });
});

describe('simulator: simulated time', () => {
  let t: TestSim;
  const fleet = createFleet({ seed: 42, size: 200, epochMs: START.getTime() });
  beforeAll(async () => {
    t = await startSim();
  });
  afterAll(() => t.close());

  it('grows usage and shrinks the quota as time advances', async () => {
    const heavy = Array.from({ length: fleet.size }, (_, i) => fleet.sim(i)).find((s) => s.profile === 'heavy')!;
    const q0 = await json(await t.get(`/v1/sims/${heavy.iccid}/quota/data`));
    await t.control('/advance', { seconds: 3 * 86_400 });
    const q1 = await json(await t.get(`/v1/sims/${heavy.iccid}/quota/data`));
    expect(q1.volume).toBeLessThan(q0.volume);
    const usage = await json(await t.get(`/v1/sims/${heavy.iccid}/usage?start_dt=2025-06-15&end_dt=2025-06-18`));
    const total = usage.stats.find((r: { date: string }) => r.date === 'TOTAL');
    // Usage of 15 June before noon happened before the first quota reading.
    const beforeStart = await json(await t.get(`/v1/sims/${heavy.iccid}/usage?start_dt=2025-06-15&end_dt=2025-06-15`));
    expect(Number(beforeStart.stats[0].data.volume)).toBeGreaterThanOrEqual(0);
    expect(Number(total.data.volume)).toBeGreaterThan(q0.volume - q1.volume - 1e-6);
  });

  it('changes quota_status in the list when consumption crosses the 20 % and 0 % thresholds', async () => {
    let previous = await json(await t.get('/v1/sims?pageSize=100'));
    let crossedIccid: string | undefined;
    for (let step = 0; step < 8; step++) {
      await t.control('/advance', { seconds: 15 * 86_400 });
      const current = await json(await t.get('/v1/sims?pageSize=100'));
      const changed = current.filter((s: { quota_status: { id: number } }, i: number) => s.quota_status.id > previous[i].quota_status.id);
      if (changed.length > 0 && crossedIccid === undefined) {
        crossedIccid = changed[0].iccid;
        // The crossing happened within the last 15 days, so its policy event is still listed.
        const events = await json(await t.get(`/v2/sims/${crossedIccid}/events?pageSize=1000`));
        expect(events.some((e: { event_type: { id: number }; event_source: { description: string } }) => [18, 19].includes(e.event_type.id) && e.event_source.description === 'Policy Control')).toBe(true);
      }
      previous = current;
    }
    expect(crossedIccid).toBeDefined();
    expect(previous.some((s: { quota_status: { id: number; description: string } }) => s.quota_status.id === 2 && s.quota_status.description === 'No volume available')).toBe(true);
  });

  it('keeps quota consumption consistent with usage after the start', async () => {
    const steady = Array.from({ length: fleet.size }, (_, i) => fleet.sim(i)).find((s) => s.profile === 'steady' && s.dataLeftMicro > 400_000_000)!;
    const q = await json(await t.get(`/v1/sims/${steady.iccid}/quota/data`));
    const now = new Date((await json(await t.control('/stats'))).clock.now);
    const end = now.toISOString().slice(0, 10);
    const usage = await json(await t.get(`/v1/sims/${steady.iccid}/usage?start_dt=2025-06-16&end_dt=${end}`));
    const firstDay = await json(await t.get(`/v1/sims/${steady.iccid}/usage?start_dt=2025-06-15&end_dt=2025-06-15`));
    const total = Number(usage.stats.at(-1).data.volume);
    // Consumption since 15 June 12:00 = (usage from 16 June on) + (the afternoon of 15 June) <= (all of 15 June).
    const consumed = steady.dataLeftMicro / 1e6 - q.volume;
    expect(consumed).toBeGreaterThanOrEqual(total - 1e-6);
    expect(consumed).toBeLessThanOrEqual(total + Number(firstDay.stats[0].data.volume) + 1e-6);
  });
});
