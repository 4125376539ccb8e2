/**
 * Provider faults at 20 %: the simulator answers one request in five with a fault (5xx, timeouts,
 * truncated bodies, garbage JSON, HTML outage pages, 429 storms with Retry-After, tokens revoked
 * mid-run, answers lost after the work was done), spread evenly over the kinds. Through that:
 *
 * - the SIM sweep completes (within the job engine's retries) and stores exactly the simulator's fleet;
 * - no SMS, top-up or order is performed twice, counted at the simulator;
 * - API callers get 2xx, a 4xx they caused, or 502/503/504 problem documents (Retry-After on every
 *   503) - never a 500;
 * - the provider metrics show the faults (upstream statuses, retries by reason, 429s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/jobs/engine.js';
import { syncSimsJob } from '../../src/jobs/sync-sims.job.js';
import { evenFaults } from '../../src/simulator/faults.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { signedIn } from '../modules/users/fixtures.js';
import { recordFigures } from './figures.js';
import { metricSamples, simulatorStats, setFaults, type SimulatorStats } from './simulator.js';

const FAULT_RATE = 0.2;
const FLEET = 300;
/** SIMs that get one SMS, one top-up each. */
const WRITES = 12;
/** Orders placed (1NCE allows 100 per 5 minutes on orders and products: the governor paces them 3.2 s apart). */
const ORDERS = 4;
/** The engine runs a failed 'sync-sims' again (retryLimit 2): three runs at most. */
const SWEEP_RUNS = 3;
/** 1NCE SIMs expire ten years after activation (then only 422s); writes go to younger ones. */
const UNEXPIRED_MS = 3000 * 86_400_000;

function jobContext(t: TestApp): JobContext {
  return { jobId: 'chaos', attempt: 1, signal: new AbortController().signal, logger: t.deps.logger };
}

interface Answer {
  call: string;
  target: string;
  status: number;
  code: string | undefined;
  contentType: string | undefined;
  retryAfter: string | undefined;
}

describe.each(backends)('provider faults at 20 %% (%s)', (backend) => {
  let t: TestApp;
  let operator: Record<string, string>;
  let admin: Record<string, string>;
  const seconds = { sweep: 0, calls: 0 };
  const callMs: Record<string, number> = {};
  const perKind: Record<string, { status: number; code: string | undefined; retryAfter: string | undefined }> = {};
  let iccids: string[] = [];
  const answers: Answer[] = [];
  const sweep = { runs: 0, stored: 0 };
  let stats: SimulatorStats;

  const call = async (name: string, target: string, options: { method: 'GET' | 'POST' | 'PATCH'; url: string; payload?: object; headers?: Record<string, string> }) => {
    const began = performance.now();
    const response = await t.app.inject({ ...options, headers: { ...operator, ...options.headers } });
    callMs[name] = (callMs[name] ?? 0) + Math.round(performance.now() - began);
    const body = response.headers['content-type']?.toString().includes('json') === true ? response.json<{ code?: string }>() : {};
    answers.push({
      call: name,
      target,
      status: response.statusCode,
      code: body.code,
      contentType: response.headers['content-type']?.toString(),
      retryAfter: response.headers['retry-after']?.toString(),
    });
    return response;
  };

  beforeAll(async () => {
    t = await buildTestApp({
      backend,
      simulator: { fleetSize: FLEET, faults: evenFaults(FAULT_RATE) },
      // A held (timeout) request gives up after 300 ms instead of 15 s; the API limit is not under test.
      env: { ONCE_TIMEOUT_MS: '300', API_RATE_LIMIT_RPS: '100000' },
    });
    operator = (await signedIn(t, 'operator')).headers;
    admin = (await signedIn(t, 'admin')).headers;
    let started = performance.now();

    // 1. The sweep, as the job engine runs it: a failed run is retried, twice at most.
    const job = syncSimsJob(t.deps);
    for (sweep.runs = 1; sweep.runs <= SWEEP_RUNS; sweep.runs++) {
      try {
        await job.handler({ accountId: t.accountId!, firstDetailsLimit: 20 }, jobContext(t));
        break;
      } catch (error) {
        t.deps.logger.warn({ err: error }, 'sweep run failed under faults; the engine would retry it');
      }
    }
    const rows = await t.deps.database.db.selectFrom('sims').select('iccid').where('status', '=', 'Enabled').where('activation_date', '>', new Date(Date.now() - UNEXPIRED_MS)).orderBy('iccid').execute();
    sweep.stored = Number((await t.deps.database.db.selectFrom('sims').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    iccids = rows.map((r) => r.iccid).slice(0, WRITES);
    seconds.sweep = (performance.now() - started) / 1000;
    started = performance.now();

    // 2. Interactive calls that reach 1NCE, each once (a top-up is retried with its Idempotency-Key, as a client should).
    for (const [i, iccid] of iccids.entries()) {
      await call('sms', iccid, { method: 'POST', url: `/api/v1/sims/${iccid}/sms`, payload: { message: `chaos ${i}` } });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const response = await call('topup', iccid, { method: 'POST', url: `/api/v1/sims/${iccid}/topup`, headers: { 'idempotency-key': `chaos-topup-${iccid}` } });
        if (response.statusCode < 500) break;
      }
      if (i < ORDERS) await call('order', `chaos-${i}`, { method: 'POST', url: '/api/v1/orders', payload: { products: [{ product_id: 1001, quantity: 1 }], customer_reference: `chaos-${i}` }, headers: admin });
      await call('patch', iccid, { method: 'PATCH', url: `/api/v1/sims/${iccid}`, payload: { label: `chaos ${i}` } });
      await call('sync', iccid, { method: 'POST', url: `/api/v1/sims/${iccid}/sync` });
      await call('connectivity', iccid, { method: 'GET', url: `/api/v1/sims/${iccid}/connectivity` });
      if (i === 0) await call('products', '', { method: 'GET', url: '/api/v1/products' });
    }
    seconds.calls = (performance.now() - started) / 1000;

    // 3. Each fault kind alone, on every request, behind one interactive read: how it reaches a caller.
    const [probe] = iccids;
    for (const kind of Object.keys(evenFaults(FAULT_RATE))) {
      await setFaults(t, { [kind]: 1 });
      const response = await call(`only-${kind}`, probe!, { method: 'GET', url: `/api/v1/sims/${probe!}/connectivity` });
      const body = response.headers['content-type']?.toString().includes('json') === true ? response.json<{ code?: string }>() : {};
      perKind[kind] = { status: response.statusCode, code: body.code, retryAfter: response.headers['retry-after']?.toString() };
    }
    await setFaults(t, evenFaults(FAULT_RATE));
    stats = await simulatorStats(t);
  }, 170_000);

  afterAll(async () => {
    await t?.close();
  });

  it('completes the sweep and stores exactly the simulator fleet', async () => {
    expect(sweep.runs, 'sweep runs needed').toBeLessThanOrEqual(SWEEP_RUNS);
    expect(sweep.stored).toBe(FLEET);
    // Every stored SIM is one the simulator has, with its status (checked with faults off).
    await setFaults(t, {});
    const client = await t.deps.provider.get(t.accountId!);
    const truth = new Map<string, string>(); // iccid -> status
    for await (const sim of client.listSims({ pageSize: 100 })) truth.set(sim.iccid, sim.providerStatus ?? "");
    const stored = await t.deps.database.db.selectFrom('sims').select(['iccid', 'status']).execute();
    expect(stored).toHaveLength(truth.size);
    for (const row of stored) expect(truth.get(row.iccid), row.iccid).toBe(row.status ?? "");
    await setFaults(t, evenFaults(FAULT_RATE));
  });

  it('injected every fault kind', () => {
    expect(stats.faults.total).toBeGreaterThan(20);
    for (const kind of Object.keys(evenFaults(FAULT_RATE))) expect(stats.faults[kind], kind).toBeGreaterThan(0);
  });

  it('maps each fault kind alone to 502/503/504 with a stable code (Retry-After on 503)', () => {
    for (const [kind, answer] of Object.entries(perKind)) {
      expect([502, 503, 504], `${kind}: ${answer.status} ${answer.code}`).toContain(answer.status);
      expect(answer.code, kind).toMatch(/^provider_[a-z_]+$/);
      if (answer.status === 503) expect(answer.retryAfter, kind).toMatch(/^\d+$/);
    }
    expect(perKind.rateLimitStorm?.code).toBe('provider_rate_limited');
    expect(perKind.timeout?.status).toBe(504);
    expect(perKind.malformedJson?.code).toBe('provider_bad_response');
    expect(perKind.garbageJson?.code).toBe('provider_bad_response');
  });

  it('never performed an SMS, a top-up or an order twice', () => {
    const repeated = Object.entries(stats.effects.perTarget).filter(([, n]) => n > 1);
    expect(repeated).toEqual([]);
    // What the API confirmed did happen, exactly once.
    const effectOf: Record<string, string> = { sms: 'sms', topup: 'topup', order: 'order' };
    for (const a of answers.filter((x) => effectOf[x.call] !== undefined && x.status >= 200 && x.status < 300)) {
      expect(stats.effects.perTarget[`${effectOf[a.call]}:${a.target}`], `${a.call} ${a.target}`).toBe(1);
    }
  });

  it('answers callers with 2xx, their own 4xx, or 502/503/504 problem documents - never a 500', () => {
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 500)).toEqual([]);
    for (const a of answers.filter((x) => x.status >= 500)) {
      expect([502, 503, 504], `${a.call} ${a.status} ${a.code}`).toContain(a.status);
      expect(a.contentType, `${a.call} ${a.status}`).toContain('application/problem+json');
      expect(a.code, `${a.call} ${a.status}`).toMatch(/^[a-z_]+$/);
      if (a.status === 503) expect(a.retryAfter, `${a.call} 503 ${a.code} Retry-After`).toMatch(/^\d+$/);
    }
    // The faults reached callers at least sometimes, and most calls still succeeded.
    expect(answers.filter((a) => a.status >= 500).length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status < 300).length).toBeGreaterThan(answers.length / 2);
  });

  it('shows the faults in the provider metrics', async () => {
    const requests = await metricSamples(t, 'simfleet_provider_requests_total');
    const byStatus = (status: string) => requests.filter((s) => s.labels.status === status).reduce((a, s) => a + s.value, 0);
    expect(byStatus('500')).toBeGreaterThan(0);
    expect(byStatus('503')).toBeGreaterThan(0);
    expect(byStatus('504')).toBeGreaterThan(0);
    expect(byStatus('429')).toBeGreaterThan(0);
    expect(byStatus('timeout')).toBeGreaterThan(0);
    const retries = await metricSamples(t, 'simfleet_provider_retries_total');
    const reasons = new Set(retries.filter((s) => s.value > 0).map((s) => s.labels.reason));
    for (const reason of ['server_error', 'timeout', 'bad_response', 'rate_limited', 'unauthorized']) expect(reasons, reason).toContain(reason);
    const limited = await metricSamples(t, 'simfleet_provider_rate_limited_total');
    expect(limited.reduce((a, s) => a + s.value, 0)).toBeGreaterThan(0);

    recordFigures(`provider-faults-${backend}`, {
      backend,
      faultRate: FAULT_RATE,
      fleet: FLEET,
      sweepRuns: sweep.runs,
      seconds,
      callMs,
      perKind,
      simulatorRequests: Object.values(stats.requests).reduce((a, n) => a + n, 0),
      faults: stats.faults,
      effects: { sms: stats.effects.sms, topups: stats.effects.topups, orders: stats.effects.orders, repeated: Object.values(stats.effects.perTarget).filter((n) => n > 1).length },
      apiCalls: answers.length,
      apiStatuses: Object.fromEntries([...new Set(answers.map((a) => a.status))].sort().map((s) => [s, answers.filter((a) => a.status === s).length])),
      retries: Object.fromEntries([...reasons].map((r) => [r, retries.filter((s) => s.labels.reason === r).reduce((a, s) => a + s.value, 0)])),
    });
  });
});
