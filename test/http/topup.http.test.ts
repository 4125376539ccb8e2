import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { signedIn } from '../modules/users/fixtures.js';
import { findExpiredSim, findSimByConnectivity, seedSims, setFaults, simulatorRequests, type SeededSim } from '../modules/bulk/fleet.fixtures.js';

const TOPUP = 'POST /v2/sims/{iccid}/topup';

describe.each(backends)('top-up over HTTP (%s)', (backend) => {
  let t: TestApp;
  let operator: Record<string, string>;
  let otherOperator: Record<string, string>;
  let sims: SeededSim[];
  let sim: SeededSim;
  let other: SeededSim;

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: true, env: { API_RATE_LIMIT_RPS: '100000' } });
    operator = (await signedIn(t, 'operator')).headers;
    otherOperator = (await signedIn(t, 'operator')).headers;
    sims = await seedSims(t, 30);
    sim = await findSimByConnectivity(t, sims, () => true);
    other = await findSimByConnectivity(t, sims.filter((s) => s.iccid !== sim.iccid), () => true);
  });
  afterAll(async () => {
    await t.close();
  });

  const calls = async () => (await simulatorRequests(t))[TOPUP] ?? 0;
  const topup = (iccid: string, options: { key?: string; body?: object; headers?: Record<string, string> } = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/sims/${iccid}/topup`,
      headers: { ...(options.headers ?? operator), ...(options.key !== undefined && { 'idempotency-key': options.key }) },
      ...(options.body !== undefined && { payload: options.body }),
    });

  it('books a top-up at 1NCE and records it as a TOPUP order (no body needed)', async () => {
    const before = await calls();
    const response = await topup(sim.iccid);
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ iccid: sim.iccid, payment_method: 'banktransfer' });
    expect(body.order).toMatchObject({ order_type: 'TOPUP', status: 'COMPLETED', currency: 'EUR' });
    expect(body.order.order_number).toMatch(/^\d+$/);
    // 1NCE's order record (read back after booking) lists the top-up product and the SIM.
    expect(body.order.items).toContainEqual({ product_id: null, iccid: sim.iccid, quantity: 1 });
    expect(body.order.items).toContainEqual({ product_id: 1101, iccid: null, quantity: 1 });
    expect(await calls()).toBe(before + 1);

    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/orders?type=TOPUP', headers: operator });
    expect(listed.json().items.map((o: { id: number }) => o.id)).toContain(body.order.id);
    const audit = await t.deps.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'sim.topup').execute();
    expect(audit.some((a) => a.target_id === sim.iccid && a.outcome === 'success')).toBe(true);
  });

  it('replays the stored answer for a retried key without calling 1NCE again', async () => {
    const before = await calls();
    const first = await topup(sim.iccid, { key: 'retry-key-1', body: { payment_method: 'creditcard' } });
    expect(first.statusCode).toBe(201);
    const second = await topup(sim.iccid, { key: 'retry-key-1', body: { payment_method: 'creditcard' } });
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    expect(await calls()).toBe(before + 1);
  });

  it('refuses the same key for a different request (422) but keeps keys private to each caller', async () => {
    const first = await topup(sim.iccid, { key: 'reuse-key', body: { payment_method: 'banktransfer' } });
    expect(first.statusCode).toBe(201);
    const otherBody = await topup(sim.iccid, { key: 'reuse-key', body: { payment_method: 'creditcard' } });
    expect(otherBody.statusCode).toBe(422);
    expect(otherBody.json().code).toBe('idempotency_key_reused');
    const otherSim = await topup(other.iccid, { key: 'reuse-key', body: { payment_method: 'banktransfer' } });
    expect(otherSim.statusCode).toBe(422);

    const before = await calls();
    const otherUser = await topup(sim.iccid, { key: 'reuse-key', body: { payment_method: 'banktransfer' }, headers: otherOperator });
    expect(otherUser.statusCode).toBe(201);
    expect(otherUser.json().order.id).not.toBe(first.json().order.id);
    expect(await calls()).toBe(before + 1);
  });

  it('lets only one of many concurrent duplicates reach 1NCE', async () => {
    const before = await calls();
    const responses = await Promise.all(Array.from({ length: 6 }, () => topup(other.iccid, { key: 'concurrent-key' })));
    const codes = responses.map((r) => r.statusCode);
    expect(codes.every((c) => c === 201 || c === 409)).toBe(true);
    expect(codes).toContain(201);
    for (const r of responses.filter((x) => x.statusCode === 409)) expect(r.json().code).toBe('idempotency_in_progress');
    expect(await calls()).toBe(before + 1);
    const ids = new Set(responses.filter((r) => r.statusCode === 201).map((r) => r.json<{ order: { id: number } }>().order.id));
    expect(ids.size).toBe(1);
    const after = await topup(other.iccid, { key: 'concurrent-key' });
    expect(after.statusCode).toBe(201);
    expect(after.json().order.id).toBe([...ids][0]);
  });

  it('records an outcome-unknown top-up as such and never retries it, even with the same key', async () => {
    const before = await calls();
    await setFaults(t, { serverError: 1 });
    let response;
    try {
      response = await topup(sim.iccid, { key: 'unknown-key' });
    } finally {
      await setFaults(t, { serverError: 0 });
    }
    expect(response.statusCode).toBe(502);
    const problem = response.json();
    expect(problem).toMatchObject({ code: 'topup_outcome_unknown', mayHaveBeenProcessed: true, iccid: sim.iccid });
    expect(await calls()).toBe(before + 1);
    const order = await t.app.inject({ method: 'GET', url: `/api/v1/orders/${problem.order_id}`, headers: operator });
    expect(order.json()).toMatchObject({ order_type: 'TOPUP', status: 'UNKNOWN', order_number: null });

    const retry = await topup(sim.iccid, { key: 'unknown-key' });
    expect(retry.statusCode).toBe(502);
    expect(retry.json()).toMatchObject({ code: 'topup_outcome_unknown', order_id: problem.order_id, replayed: true });
    expect(await calls()).toBe(before + 1);
  });

  it('releases the key when 1NCE certainly refused, so a retry reaches 1NCE again', async () => {
    const expired = await findExpiredSim(t, sims);
    const before = await calls();
    const first = await topup(expired.iccid, { key: 'expired-key' });
    expect(first.statusCode).toBe(422);
    expect(first.json().code).toBe('sim_expired');
    const second = await topup(expired.iccid, { key: 'expired-key' });
    expect(second.statusCode).toBe(422);
    expect(await calls()).toBe(before + 2);
    const failed = await t.app.inject({ method: 'GET', url: '/api/v1/orders?status=FAILED', headers: operator });
    expect(failed.json().total).toBe(2);
  });

  it('rejects bad keys, unknown SIMs, bad payment methods and viewers', async () => {
    expect((await topup(sim.iccid, { key: 'has space' })).statusCode).toBe(400);
    expect((await topup(sim.iccid, { key: 'x'.repeat(256) })).statusCode).toBe(400);
    expect((await topup('8988280666999999999')).statusCode).toBe(404);
    expect((await topup(sim.iccid, { body: { payment_method: 'cash' } })).statusCode).toBe(400);
    const viewer = (await signedIn(t, 'viewer')).headers;
    expect((await topup(sim.iccid, { headers: viewer })).statusCode).toBe(403);
  });
});
