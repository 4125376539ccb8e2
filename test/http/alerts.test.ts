import { withLuhn } from '../../src/lib/identifiers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { pino } from 'pino';
import { checkQuotasJob } from '../../src/jobs/check-quotas.job.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { insertSims, updateSims } from '../helpers/factories.js';

const MB = 1_048_576;
const ctx = { jobId: 'test', attempt: 1, signal: new AbortController().signal, logger: pino({ level: 'silent' }) };

describe.each(backends)('quota alerts (%s)', (backend) => {
  let t: TestApp;
  let iccid: string;
  let simId: number;
  let admin: Record<string, string>;
  let operator: Record<string, string>;
  let viewer: Record<string, string>;

  const setUsedPct = (pct: number, id = simId) => updateSims(t.deps.database.db, { data_total_bytes: 100 * MB, data_remaining_bytes: (100 - pct) * MB }, id);
  const check = () => checkQuotasJob(t.deps).handler({}, ctx);
  const alertsOf = (id = simId) => t.deps.database.db.selectFrom('alerts').selectAll().where('sim_id', '=', id).orderBy('raised_at').orderBy('threshold').execute();

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 3 } });
    // The simulator's fleet gives real ICCIDs the provider knows (for the auto top-up).
    const client = await t.deps.provider.get(t.accountId!);
    const page = await client.listSimsPage(1, { pageSize: 3 });
    const db = t.deps.database.db;
    const rows = await insertSims(db, page.items.map((s, i) => ({ account_id: t.accountId!, iccid: s.iccid, status: 'Enabled', tags: i === 2 ? ['auto'] : [] })));
    iccid = rows[0]!.iccid;
    simId = rows[0]!.id;
    admin = await authHeaders(t, 'admin');
    operator = await authHeaders(t, 'operator');
    viewer = await authHeaders(t, 'viewer');
  });
  afterAll(async () => t.close());

  it('creates the default rules on the first check, once', async () => {
    await check();
    await check();
    const rules = await t.app.inject({ method: 'GET', url: '/api/v1/alert-rules', headers: viewer });
    expect(rules.statusCode).toBe(200);
    const metrics = rules.json().items.map((r: { metric: string; thresholds: number[] }) => [r.metric, r.thresholds]);
    expect(metrics.sort()).toEqual([
      ['data_used_pct', [80, 90, 100]],
      ['device_change', [1]],
      ['expiry_days', [7]],
      ['forecast_days', [3]],
      ['new_country', [1]],
      ['new_operator', [1]],
      ['silence_hours', [24]],
      ['sms_used_pct', [80, 90, 100]],
      ['usage_spike', [5]],
    ]);
  });

  it('raises one alert per crossing and re-arms only below threshold minus hysteresis', async () => {
    await setUsedPct(85);
    await check();
    await check();
    expect((await alertsOf()).map((a) => Number(a.threshold))).toEqual([80]);

    await setUsedPct(92);
    await check();
    expect((await alertsOf()).map((a) => [Number(a.threshold), a.state])).toEqual([
      [80, 'open'],
      [90, 'open'],
    ]);

    // 78 %: below 90 - 5 (the 90 crossing clears) but inside 80's band (80 - 5 = 75).
    await setUsedPct(78);
    await check();
    let alerts = await alertsOf();
    expect(alerts.map((a) => [Number(a.threshold), a.state, a.cleared_at !== null])).toEqual([
      [80, 'open', false],
      [90, 'resolved', true],
    ]);

    await setUsedPct(70);
    await check();
    await setUsedPct(81);
    await check();
    alerts = await alertsOf();
    expect(alerts.map((a) => [Number(a.threshold), a.state])).toEqual([
      [80, 'resolved'],
      [90, 'resolved'],
      [80, 'open'],
    ]);
  });

  it('walks open -> acknowledged -> resolved over HTTP, and a resolved crossing stays quiet until it clears', async () => {
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/alerts?state=open&iccid=${iccid}`, headers: viewer });
    expect(list.statusCode).toBe(200);
    expect(list.json().total).toBe(1);
    const id: string = list.json().items[0].id;
    expect(list.json().items[0]).toMatchObject({ iccid, metric: 'data_used_pct', threshold: 80, value: 81, rule_name: 'Data quota used' });

    expect((await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/acknowledge`, headers: viewer })).statusCode).toBe(403);
    const ack = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/acknowledge`, headers: operator });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ state: 'acknowledged', acknowledged_by_user_id: expect.any(Number) });
    const resolved = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/resolve`, headers: operator });
    expect(resolved.json().state).toBe('resolved');
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/acknowledge`, headers: operator })).statusCode).toBe(409);

    await check();
    expect((await alertsOf()).filter((a) => a.state !== 'resolved')).toEqual([]);
  });

  it('enqueues a webhook delivery for each raised alert', async () => {
    const created = await t.deps.webhooks.create({ url: 'https://receiver.invalid/hook', events: ['quota.exhausted'] }, null);
    await setUsedPct(100);
    await check();
    const deliveries = await t.deps.database.db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', created.id).execute();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.event_type).toBe('quota.exhausted');
    expect((deliveries[0]!.payload as { data: { iccid: string; threshold: number } }).data).toMatchObject({ iccid, threshold: 100 });
  });

  it('lets viewers read rules, admins write them (operators cannot), and validates scope', async () => {
    const body = { name: 'Auto top-up', scope: 'tag', scope_value: 'auto', metric: 'data_used_pct', thresholds: [95], auto_topup: true, auto_topup_max_per_period: 1, auto_topup_period: 'day' };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: operator, payload: body })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: { ...body, scope: 'global' } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: { ...body, auto_topup_max_per_period: null } })).statusCode).toBe(400);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: body });
    expect(created.statusCode).toBe(201);
    const rule = created.json();
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/alert-rules/${rule.id}`, headers: admin, payload: { hysteresis: 2 } });
    expect(patched.json()).toMatchObject({ hysteresis: 2, thresholds: [95], auto_topup: true });
  });

  it('refuses a rule scoped to a SIM or account that does not exist, and stores a SIM scope by its 19-digit ICCID', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/alert-rules', headers: admin })).json().items.length;
    const body = { name: 'One SIM', scope: 'sim', metric: 'data_used_pct', thresholds: [80] };
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: { ...body, scope_value: '8988280666000009999' } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'sim_not_found' });
    const badLuhn = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: { ...body, scope_value: iccid + String((Number(withLuhn(iccid).slice(-1)) + 1) % 10) } });
    expect(badLuhn.statusCode).toBe(422);
    const noAccount = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: { ...body, scope: 'account', scope_value: 'not-an-account' } });
    expect(noAccount.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/alert-rules', headers: admin })).json().items).toHaveLength(before);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: { ...body, scope_value: withLuhn(iccid) } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ scope: 'sim', scope_value: iccid });
  });

  it('tops up automatically once per period at most (cap), through the provider', async () => {
    const auto = await t.deps.database.db.selectFrom('sims').select(['id']).where(sql<boolean>`'auto' = any (tags)`).executeTakeFirstOrThrow();
    await setUsedPct(96, auto.id);
    await check();
    // Clear and cross again the same day: a second crossing, but the cap allows one top-up per day.
    await setUsedPct(10, auto.id);
    await check();
    await setUsedPct(97, auto.id);
    await check();
    const topups = await t.deps.database.db.selectFrom('auto_topups').selectAll().where('sim_id', '=', auto.id).execute();
    expect(topups.map((x) => x.status)).toEqual(['succeeded']);
    const raised = (await alertsOf(auto.id)).filter((a) => Number(a.threshold) === 95);
    expect(raised).toHaveLength(2);
    const capped = (await t.deps.metrics.background.alerts.autoTopups.get()).values.find((v) => v.labels.outcome === 'capped');
    expect(capped?.value).toBe(1);
  });
});
