import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { checkQuotasJob } from '../../../src/jobs/check-quotas.job.js';
import { backends, buildTestApp, type TestApp } from '../../helpers/app.js';
import { authHeaders } from '../../helpers/auth.js';
import { dayOffset, insertSims, insertUsage, updateSims } from '../../helpers/factories.js';

/**
 * Anomaly detection end to end on synthetic histories: the sweep ('check-quotas') and Data Streamer
 * batches raise the alerts through the alerts module (hysteresis, webhooks), and automatic actions
 * are capped, dry-run or real through the SIM action service (1NCE simulator), and audited.
 */

const MIB = 1_048_576;
const USER = 'streamer-user';
const PASSWORD = 'streamer-password-0123456789';
const STREAM_AUTH = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };
const ctx = { jobId: 'test', attempt: 1, signal: new AbortController().signal, logger: pino({ level: 'silent' }) };

describe.each(backends)('anomaly detection (%s)', (backend) => {
  let t: TestApp;
  let sims: Array<{ id: number; iccid: string }>;
  let viewer: Record<string, string>;
  let admin: Record<string, string>;
  const sweep = () => checkQuotasJob(t.deps).handler({}, ctx);
  const db = () => t.deps.database.db;

  /** Daily volumes (MiB) by days-ago; `sms` adds SMS on active days. */
  const history = async (simId: number, days: Record<number, number>) => {
    await db().deleteFrom('sim_usage').where('sim_id', '=', simId).execute();
    await insertUsage(db(), simId, Object.entries(days).map(([ago, mib]) => ({ day: dayOffset(-Number(ago)), bytes: Math.round(mib * MIB) })));
  };
  const flat = (mib: number, from = 2, to = 29) => Object.fromEntries(Array.from({ length: to - from + 1 }, (_, i) => [from + i, mib]));
  const alertsOf = (simId: number, metric: string) =>
    db().selectFrom('alerts').selectAll().where('sim_id', '=', simId).where('metric', '=', metric as never).orderBy('raised_at').execute();
  const rule = async (metric: string) => (await db().selectFrom('alert_rules').selectAll().where('metric', '=', metric as never).executeTakeFirstOrThrow());

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { STREAMER_USERNAME: USER, STREAMER_PASSWORD: PASSWORD }, simulator: { fleetSize: 12 } });
    const client = await t.deps.provider.get(t.accountId!);
    const page = await client.listSimsPage(1, { pageSize: 12 });
    // Enabled SIMs 1NCE knows (the automatic actions go through it); quotas so stream usage advances them.
    const known = [];
    for (const s of page.items) {
      if (await client.getSim(s.iccid).then(() => true, () => false)) known.push(s);
    }
    sims = await insertSims(db(), known.slice(0, 9).map((s) => ({ account_id: t.accountId!, iccid: s.iccid, status: 'Enabled', data_total_bytes: 500 * MIB, data_remaining_bytes: 400 * MIB, last_synced_at: new Date() })));
    expect(sims).toHaveLength(9);
    viewer = await authHeaders(t, 'viewer');
    admin = await authHeaders(t, 'admin');
    await t.deps.alerts.ensureDefaultRules();
  });
  afterAll(async () => t.close());

  it('creates the anomaly rules once per install, next to the quota rules', async () => {
    await t.deps.alerts.ensureDefaultRules();
    const rules = await t.app.inject({ method: 'GET', url: '/api/v1/alert-rules', headers: viewer });
    const anomalies = rules.json().items.filter((r: { metric: string }) => ['usage_spike', 'silence_hours', 'device_change', 'new_country', 'new_operator'].includes(r.metric));
    expect(anomalies.map((r: { metric: string; enabled: boolean; auto_action: null }) => [r.metric, r.enabled, r.auto_action]).sort()).toEqual([
      ['device_change', true, null],
      ['new_country', true, null],
      ['new_operator', false, null],
      ['silence_hours', true, null],
      ['usage_spike', true, null],
    ]);
  });

  it('raises a usage spike once from the sweep, not for a noisy SIM or a tiny one, with its webhook, and clears it', async () => {
    const [steady, noisy, tiny, p1, p2, p3] = sims;
    const hook = await t.deps.webhooks.create({ url: 'https://receiver.invalid/hook', events: ['anomaly.usage_spike', 'anomaly.silence', 'anomaly.device_change', 'anomaly.new_country', 'anomaly.action'] }, null);
    await history(steady!.id, { ...flat(2), 1: 60 });
    // Noisy: 1 and 30 MiB days alternate; 60 MiB is under 5x its robust spread.
    await history(noisy!.id, { ...Object.fromEntries(Array.from({ length: 28 }, (_, i) => [i + 2, i % 2 === 0 ? 1 : 30])), 1: 60 });
    // Tiny: 10 KiB a day, then 2 MiB: 200x its baseline but under the 10 MiB floor.
    await history(tiny!.id, { ...flat(0.01), 1: 2 });
    for (const p of [p1, p2, p3]) await history(p!.id, flat(2, 1, 29));

    await sweep();
    await sweep();
    const raised = await alertsOf(steady!.id, 'usage_spike');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ state: 'open', severity: 'warning' });
    expect(Number(raised[0]!.value)).toBeGreaterThanOrEqual(5);
    expect(raised[0]!.message).toMatch(/^Usage spike: 60\.0 MiB in a day, 30x the SIM's usual 2\.0 MiB and 30x its account peers/);
    expect(await alertsOf(noisy!.id, 'usage_spike')).toHaveLength(0);
    expect(await alertsOf(tiny!.id, 'usage_spike')).toHaveLength(0);

    const deliveries = await db().selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', hook.id).where('event_type', '=', 'anomaly.usage_spike').execute();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.payload).toMatchObject({ data: { iccid: steady!.iccid, metric: 'usage_spike', threshold: 5, rule_name: 'Usage spike' } });

    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/alerts?metric=usage_spike', headers: viewer });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((a: { iccid: string }) => a.iccid)).toEqual([steady!.iccid]);

    // Back to normal: the crossing clears (resolved) and the rule re-arms.
    await history(steady!.id, flat(2, 1, 29));
    await sweep();
    const after = await alertsOf(steady!.id, 'usage_spike');
    expect(after.map((a) => [a.state, a.cleared_at !== null])).toEqual([['resolved', true]]);
  });

  it('raises a spike of the running day from a Data Streamer batch, and a new country the SIM was never in', async () => {
    const sim = sims[3]!;
    const record = (id: number, mib: number, country: string, operator: string) => ({
      id,
      imsi: '901405100000001',
      start_timestamp: new Date(Date.now() - 60_000).toISOString(),
      end_timestamp: new Date().toISOString(),
      sim: { iccid: sim.iccid },
      operator: { id: 2, name: operator, country: { id: 74, name: country } },
      traffic_type: { id: 5, description: 'Data' },
      volume: { total: mib, tx: 0, rx: mib },
    });
    // The first batch is the SIM's first country and operator: its baseline, no alert.
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers: STREAM_AUTH, payload: [record(9_000_001, 0.5, 'Germany', 'T-Mobile')] });
    expect(first.statusCode).toBe(200);
    await t.deps.alertTrigger.flush();
    expect(await alertsOf(sim.id, 'new_country')).toHaveLength(0);
    expect(await alertsOf(sim.id, 'usage_spike')).toHaveLength(0);

    const second = await t.app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers: STREAM_AUTH, payload: [record(9_000_002, 80, 'United States', 'AT&T')] });
    expect(second.statusCode).toBe(200);
    await t.deps.alertTrigger.flush();
    const spike = await alertsOf(sim.id, 'usage_spike');
    expect(spike).toHaveLength(1);
    const country = await alertsOf(sim.id, 'new_country');
    expect(country).toHaveLength(1);
    expect(country[0]!.message).toBe('New country United States (seen before: Germany)');
    expect(country[0]!.severity).toBe('info');
    // New operators are learned too, but that rule is disabled by default.
    expect(await alertsOf(sim.id, 'new_operator')).toHaveLength(0);
    const seen = await db().selectFrom('sim_observations').select(['kind', 'value']).where('sim_id', '=', sim.id).orderBy('kind').orderBy('value').execute();
    expect(seen).toEqual([
      { kind: 'country', value: 'Germany' },
      { kind: 'country', value: 'United States' },
      { kind: 'operator', value: 'AT&T' },
      { kind: 'operator', value: 'T-Mobile' },
    ]);
  });

  it('raises silence for a daily reporter gone quiet, not for an occasional one', async () => {
    const [, , , , daily, occasional] = sims;
    // Daily for weeks, nothing for the last four days.
    await history(daily!.id, { ...flat(3, 4, 29), 0: 0, 1: 0, 2: 0, 3: 0 });
    // Five active days in four weeks, last one six days ago.
    await history(occasional!.id, { 6: 1, 11: 1, 15: 1, 20: 1, 26: 1 });
    await sweep();
    const silent = await alertsOf(daily!.id, 'silence_hours');
    expect(silent).toHaveLength(1);
    expect(Number(silent[0]!.value)).toBeGreaterThan(72);
    expect(silent[0]!.message).toMatch(/^Silent for \d+ h since \d{4}-\d{2}-\d{2} \(it usually reports at least every 24 h\)$/);
    expect(await alertsOf(occasional!.id, 'silence_hours')).toHaveLength(0);

    // Reports again: the silence clears.
    await history(daily!.id, { ...flat(3, 1, 29), 0: 1 });
    await sweep();
    expect((await alertsOf(daily!.id, 'silence_hours')).map((a) => a.state)).toEqual(['resolved']);
  });

  it('raises a device change, locks the IMEI by rule (capped per period, audited) and dry-runs when asked', async () => {
    const [a, b, c] = [sims[6]!, sims[7]!, sims[8]!];
    const setImei = (id: number, imei: string) => updateSims(db(), { imei }, id);
    await setImei(a.id, '490154203237518');
    await setImei(b.id, '356938035643809');
    await setImei(c.id, '353918058381163');
    await sweep(); // baseline: first IMEIs raise nothing
    expect(await alertsOf(a.id, 'device_change')).toHaveLength(0);

    const deviceRule = await rule('device_change');
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/alert-rules/${deviceRule.id}`,
      headers: admin,
      payload: { auto_action: 'imei_lock', auto_action_dry_run: false, auto_action_max_per_period: 1, auto_action_period: 'day' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ auto_action: 'imei_lock', auto_action_dry_run: false, auto_action_max_per_period: 1 });

    await setImei(a.id, '352099001761481');
    await setImei(b.id, '358240051111110');
    await sweep();
    const alertA = await alertsOf(a.id, 'device_change');
    expect(alertA).toHaveLength(1);
    expect(alertA[0]!.severity).toBe('critical');
    expect(alertA[0]!.message).toBe('New IMEI 352099001761481 (seen before: 490154203237518)');
    expect(await alertsOf(b.id, 'device_change')).toHaveLength(1);
    const locked = await db().selectFrom('sims').select(['id', 'imei_lock']).where('id', 'in', [a.id, b.id]).orderBy('id').execute();
    // One lock a day: the first SIM is locked through 1NCE, the second is capped.
    expect(locked.map((r) => r.imei_lock)).toEqual([true, false]);
    const actions = await db().selectFrom('anomaly_actions').select(['sim_id', 'status', 'dry_run']).orderBy('created_at').execute();
    expect(actions).toEqual([
      { sim_id: a.id, status: 'succeeded', dry_run: false },
      { sim_id: b.id, status: 'capped', dry_run: false },
    ]);
    const audit = await db().selectFrom('audit_log').select(['action', 'outcome', 'target_id']).where('action', 'in', ['sim.anomaly_action', 'update_sim']).orderBy('id').execute();
    expect(audit.filter((e) => e.action === 'sim.anomaly_action')).toEqual([
      { action: 'sim.anomaly_action', outcome: 'success', target_id: a.iccid },
      { action: 'sim.anomaly_action', outcome: 'denied', target_id: b.iccid },
    ]);

    // Dry run: recorded and audited, nothing changed at 1NCE.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/alert-rules/${deviceRule.id}`, headers: admin, payload: { auto_action: 'disable', auto_action_dry_run: true, auto_action_max_per_period: 5 } });
    await setImei(c.id, '490154203237500');
    await sweep();
    expect(await alertsOf(c.id, 'device_change')).toHaveLength(1);
    const cRow = await db().selectFrom('sims').select(['status', 'imei_lock']).where('id', '=', c.id).executeTakeFirstOrThrow();
    expect(cRow).toEqual({ status: 'Enabled', imei_lock: false });
    expect(await db().selectFrom('anomaly_actions').select(['status', 'dry_run', 'action']).where('sim_id', '=', c.id).execute()).toEqual([{ status: 'succeeded', dry_run: true, action: 'disable' }]);

    // The diagnosis names the rule that locked the IMEI.
    const diagnosis = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${a.iccid}/diagnosis`, headers: viewer });
    expect(diagnosis.statusCode).toBe(200);
    expect(diagnosis.json()).toMatchObject({ verdict: 'problem', code: 'device_changed', headline: 'IMEI changed to 352099001761481: locked by rule "Device changed (IMEI)"' });
  });

  it('refuses automatic actions that do not fit the rule, and uncapped ones', async () => {
    const spikeRule = await rule('usage_spike');
    const lock = await t.app.inject({ method: 'PATCH', url: `/api/v1/alert-rules/${spikeRule.id}`, headers: admin, payload: { auto_action: 'imei_lock', auto_action_max_per_period: 1, auto_action_period: 'day' } });
    expect(lock.statusCode).toBe(400);
    const uncapped = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: { name: 'x', metric: 'usage_spike', thresholds: [5], auto_action: 'disable' } });
    expect(uncapped.statusCode).toBe(400);
    const badParams = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: { name: 'x', metric: 'usage_spike', thresholds: [5], params: { floor_bytes: -1 } } });
    expect(badParams.statusCode).toBe(400);
    const paramsOnQuota = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: { name: 'x', metric: 'data_used_pct', thresholds: [80], params: { gap_factor: 3 } } });
    expect(paramsOnQuota.statusCode).toBe(400);
  });
});
