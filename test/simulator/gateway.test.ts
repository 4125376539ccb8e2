import { afterEach, describe, expect, it } from 'vitest';
import { json, startSim, type TestSim } from './sim-helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('simulator: rate limits, faults and the control surface', () => {
  let t: TestSim | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('never limits a client that sends exactly simsRps evenly spaced requests, and 429s a burst with Retry-After', async () => {
    t = await startSim({ simsRps: 10 });
    const token = await t.token();
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 25; i++) {
      await sleep(Math.max(0, started + i * 100 - Date.now()));
      statuses.push((await t.get('/v1/sims?pageSize=1', token)).status);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);

    const burst = await Promise.all(Array.from({ length: 30 }, () => t!.get('/v2/sims?pageSize=1', token)));
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number.isInteger(Number(r.headers.get('retry-after')))).toBe(true);
    }
    const stats = await json(await t.control('/stats'));
    expect(stats.rateLimited.total).toBe(limited.length);
    expect(stats.rateLimited.sims).toBe(limited.length);
  });

  it('limits orders/products/support per 5 minutes', async () => {
    t = await startSim({ rateLimits: { ordersPerFiveMinutes: 5, oauthPerMinute: 1000 } });
    const token = await t.token();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.get('/v1/products', token)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses[5]).toBe(429);
    const r = await t.get('/v1/products', token);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(50);
    expect((await t.get('/v1/orders', token)).status).toBe(200);
  });

  it('injects 5xx JSON, HTML 503, malformed JSON and token invalidation, and counts them; never on /_simulator', async () => {
    t = await startSim();
    const token = await t.token();
    const setFaults = (rates: object) => t!.control('/faults', rates);

    expect((await setFaults({ serverError: 1 })).status).toBe(200);
    const five = await t.get('/v1/sims', token);
    expect(five.status).toBe(500);
    expect(await json(five)).toMatchObject({ status: 500, error: 'Internal Server Error' });
    const fiveV2 = await t.get('/v2/sims', token);
    expect(await json(fiveV2)).toMatchObject({ error_token: 'InternalServerError' });
    expect((await t.control('/stats')).status).toBe(200);

    await setFaults({ serverError: 0, htmlUnavailable: 1 });
    const html = await t.get('/v1/sims', token);
    expect(html.status).toBe(503);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('Service Unavailable');

    await setFaults({ htmlUnavailable: 0, malformedJson: 1 });
    const bad = await t.get('/v1/sims?pageSize=3', token);
    expect(bad.status).toBe(200);
    expect(bad.headers.get('content-type')).toContain('application/json');
    await expect(bad.json()).rejects.toThrow();

    await setFaults({ malformedJson: 0, tokenInvalidation: 1 });
    expect((await t.get('/v1/sims', token)).status).toBe(401);
    await setFaults({ tokenInvalidation: 0 });
    expect((await t.get('/v1/sims', token)).status).toBe(401);

    const stats = await json(await t.control('/stats'));
    expect(stats.faults).toMatchObject({ serverError: 2, htmlUnavailable: 1, malformedJson: 1, tokenInvalidation: 1, total: 5 });
    expect((await setFaults({ serverError: 2 })).status).toBe(400);
    expect((await setFaults({ nonsense: 0.1 })).status).toBe(400);
  });

  it('injects garbage JSON, 429 storms with Retry-After and lost answers (the work done, a 504 returned)', async () => {
    t = await startSim();
    const token = await t.token();
    const setFaults = (rates: object) => t!.control('/faults', rates);

    await setFaults({ garbageJson: 1 });
    const garbage = await t.get('/v2/sims?pageSize=3', token);
    expect(garbage.status).toBe(200);
    const body = (await garbage.json());
    // Well-formed JSON, but not a list of SIMs.
    expect(Array.isArray(body) && body.every((x) => typeof x === 'object' && x !== null && 'iccid' in x)).toBe(false);

    await setFaults({ garbageJson: 0, rateLimitStorm: 1 });
    const first = await t.get('/v2/sims?pageSize=1', token);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    await setFaults({ rateLimitStorm: 0 });
    // The storm outlives the fault rate: the next second is refused as well.
    expect((await t.get('/v2/sims?pageSize=1', token)).status).toBe(429);
    await sleep(1_100);
    expect((await t.get('/v2/sims?pageSize=1', token)).status).toBe(200);

    // A SIM that takes SMS (expired ones answer 422, which no fault turns into a success).
    const sims = (await (await t.get('/v2/sims?pageSize=20', token)).json()) as Array<{ iccid: string }>;
    let sim: { iccid: string } | undefined;
    for (const candidate of sims) {
      if ((await t.send('POST', `/v2/sims/${candidate.iccid}/sms`, { payload: 'first' }, token)).status === 201) {
        sim = candidate;
        break;
      }
    }
    await setFaults({ lostResponse: 1 });
    const lost = await t.send('POST', `/v2/sims/${sim!.iccid}/sms`, { payload: 'lost' }, token);
    expect(lost.status).toBe(504);
    expect(await lost.json()).toEqual({ message: 'Endpoint request timed out' });
    await setFaults({ lostResponse: 0 });
    const stats = await json(await t.control('/stats'));
    // The SMS went out although the caller never heard of it.
    expect(stats.effects).toMatchObject({ sms: 2, perTarget: { [`sms:${sim!.iccid}`]: 2 } });
    expect(stats.faults).toMatchObject({ garbageJson: 1, rateLimitStorm: 2, lostResponse: 1, total: 4 });
  });

  it('holds timeout faults open past a client timeout and releases them on close', async () => {
    t = await startSim({ faults: { timeout: 1 } });
    const controller = new AbortController();
    const pending = fetch(`${t.base}/v1/products`, { signal: controller.signal }).catch((e: Error) => e.name);
    await sleep(300);
    controller.abort();
    expect(await pending).toBe('AbortError');
    const held = fetch(`${t.base}/v1/products`).then((r) => r.status, () => 'closed');
    await sleep(100);
    const started = Date.now();
    await t.close();
    t = undefined;
    expect(Date.now() - started).toBeLessThan(5000);
    expect([504, 'closed']).toContain(await held);
  });

  it('counts requests per method and route template, and reset restores the seeded state', async () => {
    t = await startSim();
    const token = await t.token();
    const sims = await json(await t.get('/v1/sims?pageSize=2', token));
    await t.get(`/v1/sims/${sims[0].iccid}`, token);
    await t.get(`/v1/sims/${sims[1].iccid}`, token);
    await t.send('PUT', `/v1/sims/${sims[0].iccid}`, { label: 'changed' }, token);
    await t.control('/advance', { seconds: 86_400 });
    const stats = await json(await t.control('/stats'));
    expect(stats.requests).toMatchObject({ 'POST /oauth/token': 1, 'GET /v1/sims': 1, 'GET /v1/sims/{iccid}': 2, 'PUT /v1/sims/{iccid}': 1 });
    expect(Object.keys(stats.requests).some((k) => k.startsWith('GET /_simulator'))).toBe(false);
    expect(stats.clock.now.startsWith('2025-06-16T12:00')).toBe(true);

    expect((await t.control('/reset', {})).status).toBe(200);
    const after = await json(await t.control('/stats'));
    expect(after.requests).toEqual({});
    expect(after.clock.now.startsWith('2025-06-15T12:00')).toBe(true);
    expect((await t.get('/v1/sims', token)).status).toBe(401);
    const fresh = await fetch(`${t.base}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('demo:demo-secret').toString('base64')}`, 'content-type': 'application/json' },
      body: '{"grant_type":"client_credentials"}',
    });
    const newToken = (await json(fresh)).access_token;
    expect((await json(await t.get(`/v1/sims/${sims[0].iccid}`, newToken))).label).not.toBe('changed');
    expect((await t.control('/advance', { seconds: -1 })).status).toBe(400);
  });
});
