import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { insertUsage, updateAllSims, updateSimsByIccid } from '../helpers/factories.js';
import { activeSim, sweepFleet } from '../modules/sims/fixtures.js';
import { call, listen, mcpClient } from './helpers.js';

/**
 * The MCP server through the SDK's own client over Streamable HTTP, against the real app listening
 * on a port with the simulator as 1NCE: every tool as viewer and operator, refusals (audited),
 * strict arguments, and the done-means question "which SIMs will run out of data this month?".
 */

const READ_TOOLS = [
  'find_sims', 'get_sim', 'get_sim_usage', 'get_sim_quota', 'forecast_quota_exhaustion', 'get_sim_connectivity', 'get_fleet_summary', 'list_alerts', 'get_bulk_job',
  'get_sim_diagnosis', 'forecast_fleet', 'forecast_sims', 'get_monthly_report',
];
const MUTATING_TOOLS = ['update_sim', 'set_sim_status', 'send_sms', 'top_up_sim', 'reset_connectivity', 'bulk_dry_run', 'bulk_run'];
const MB = 1_048_576;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe.each(backends)('MCP over Streamable HTTP (%s)', (backend) => {
  let t: TestApp;
  let origin: string;
  let viewer: Client;
  let operator: Client;
  let operatorHeaders: Record<string, string>;
  let iccids: string[];
  let sim: string;

  const auditOf = (action: string) =>
    t.deps.database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id', 'desc').execute();

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 30 }, env: { API_RATE_LIMIT_RPS: '100000' } });
    await sweepFleet(t);
    iccids = (await t.deps.database.db.selectFrom('sims').select('iccid').orderBy('iccid').execute()).map((r) => r.iccid);
    sim = (await activeSim(t, { quotaLeft: true })).iccid;
    origin = await listen(t);
    viewer = await mcpClient(origin, await authHeaders(t, 'viewer'));
    operatorHeaders = await authHeaders(t, 'operator', { via: 'jwt' });
    operator = await mcpClient(origin, operatorHeaders);
  });
  afterAll(async () => {
    await viewer?.close();
    await operator?.close();
    await t.close();
  });

  it('lists every tool with a closed input schema, its role and MCP annotations', async () => {
    const { tools } = await viewer.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([...READ_TOOLS, ...MUTATING_TOOLS].sort());
    for (const tool of tools) {
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect((tool.inputSchema as { additionalProperties?: unknown }).additionalProperties, tool.name).toBe(false);
      expect(tool.description, tool.name).toMatch(/Requires the (viewer|operator) role\.$/);
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(READ_TOOLS.includes(tool.name) || tool.name === 'bulk_dry_run');
    }
    expect(tools.find((tool) => tool.name === 'top_up_sim')!.annotations?.destructiveHint).toBe(true);
  });

  it('answers "which SIMs will run out of data this month?" from the platform (done means)', async () => {
    const db = t.deps.database.db;
    const ids = new Map((await db.selectFrom('sims').select(['id', 'iccid']).execute()).map((r) => [r.iccid, Number(r.id)]));
    const [runaway, steady, idle] = [iccids[0]!, iccids[1]!, iccids[2]!];
    await db.deleteFrom('sim_usage').execute();
    await updateAllSims(db, { data_total_bytes: 500 * MB, data_remaining_bytes: 400 * MB });
    // Runaway: 700 MB over the last 7 days with 1 KB left (gone within a second, so even the month's last minute
    // includes it); steady: 1 MB a day with 400 MB left; idle: nearly empty but not using any.
    await updateSimsByIccid(db, { data_remaining_bytes: 1024 }, runaway);
    await updateSimsByIccid(db, { data_remaining_bytes: MB }, idle);
    const days = Array.from({ length: 7 }, (_, i) => utcDay(Date.now() - i * 86_400_000));
    await insertUsage(db, ids.get(runaway)!, days.map((day) => ({ day, bytes: 100 * MB, data_rx_bytes: 60 * MB, data_tx_bytes: 40 * MB })));
    await insertUsage(db, ids.get(steady)!, days.map((day) => ({ day, bytes: MB })));

    const month = await call(viewer, 'forecast_quota_exhaustion');
    expect(month.isError).toBe(false);
    const now = new Date();
    expect(month.body.horizon_end).toBe(utcDay(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)));
    expect(month.body.items.map((i: { iccid: string }) => i.iccid)).toEqual([runaway]);
    expect(month.body.items[0]).toMatchObject({ iccid: runaway, burn_rate_bytes_per_day: 100 * MB, data_remaining_bytes: 1024, forecast_exhaustion_date: utcDay(Date.now()) });
    expect(month.result.structuredContent).toMatchObject({ total: 1 });

    // Within a year the steady SIM runs out too (400 days at 1 MB/day is beyond; 400 MB / 1 MB = 400 days: not within 366).
    const year = await call(viewer, 'forecast_quota_exhaustion', { within_days: 366 });
    expect(year.body.items.map((i: { iccid: string }) => i.iccid)).toEqual([runaway]);
    await updateSimsByIccid(db, { data_remaining_bytes: 100 * MB }, steady);
    const quarter = await call(viewer, 'forecast_quota_exhaustion', { within_days: 120, include_exhausted: false });
    expect(quarter.body.items.map((i: { iccid: string }) => i.iccid)).toEqual([runaway, steady]);
    expect(quarter.body.items[1].days_until_exhaustion).toBe(100);
    // Already empty SIMs only on request.
    await updateSimsByIccid(db, { data_remaining_bytes: 0 }, idle);
    expect((await call(viewer, 'forecast_quota_exhaustion', { include_exhausted: true })).body.items.map((i: { iccid: string }) => i.iccid)).toEqual([idle, runaway]);

    // The dashboard's 30-day count uses the same measure.
    const thirty = await call(viewer, 'forecast_quota_exhaustion', { within_days: 30 });
    const summary = await call(viewer, 'get_fleet_summary');
    expect(summary.body.quota.forecast_exhaustions).toBe(thirty.body.total);

    // Narrowed by a tag nobody has: nothing; a date in the past: refused with the field named.
    expect((await call(viewer, 'forecast_quota_exhaustion', { tag: ['nobody'] })).body.total).toBe(0);
    const past = await call(viewer, 'forecast_quota_exhaustion', { by: '2020-01-31' });
    expect(past).toMatchObject({ isError: true, body: { code: 'validation_failed', status: 400 } });
    expect(past.body.errors[0].field).toBe('by');
  });

  it('answers every read tool for a viewer, through the same services as the REST API', async () => {
    const found = await call(viewer, 'find_sims', { status: 'Enabled', page_size: 5, sort: '-iccid' });
    expect(found.isError).toBe(false);
    expect(found.body.items.length).toBeLessThanOrEqual(5);
    const rest = await t.app.inject({ method: 'GET', url: '/api/v1/sims?status=Enabled&page_size=5&sort=-iccid', headers: await authHeaders(t, 'viewer') });
    expect(found.body.items.map((s: { iccid: string }) => s.iccid)).toEqual(rest.json().items.map((s: { iccid: string }) => s.iccid));
    expect(found.body.total).toBe(rest.json().total);

    const detail = await call(viewer, 'get_sim', { iccid: sim });
    expect(detail.body).toMatchObject({ iccid: sim, status: 'Enabled' });
    const usage = await call(viewer, 'get_sim_usage', { iccid: sim, granularity: 'week' });
    expect(usage.isError).toBe(false);
    expect(usage.body).toHaveProperty('summary');
    const quota = await call(viewer, 'get_sim_quota', { iccid: sim, refresh: true });
    expect(quota.body).toMatchObject({ iccid: sim, service: 'data', unit: 'bytes' });
    const sms = await call(viewer, 'get_sim_quota', { iccid: sim, service: 'sms' });
    expect(sms.body).toMatchObject({ service: 'sms' });
    const connectivity = await call(viewer, 'get_sim_connectivity', { iccid: sim });
    expect(connectivity.isError).toBe(false);
    expect(['ONLINE', 'ATTACHED', 'OFFLINE', 'BLOCKED', 'UNKNOWN']).toContain(connectivity.body.status);
    const summary = await call(viewer, 'get_fleet_summary');
    expect(summary.body.sims.total).toBe(30);
    const alerts = await call(viewer, 'list_alerts', { state: 'open', page_size: 10 });
    expect(alerts.body).toMatchObject({ page: 1, page_size: 10 });
    const unknownJob = await call(viewer, 'get_bulk_job', { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknownJob).toMatchObject({ isError: true, body: { status: 404 } });

    const entries = await auditOf('mcp.get_sim');
    expect(entries[0]).toMatchObject({ outcome: 'success', actor_role: 'viewer', target_type: 'sim', target_id: sim, actor_type: 'api_key' });
    expect(entries[0]!.detail).toMatchObject({ transport: 'http', read_only: true, arguments: { iccid: sim } });
  });

  it('refuses every mutating tool to a viewer, changes nothing and audits the refusal', async () => {
    const before = await t.deps.database.db.selectFrom('sims').select(['status', 'label', 'tags']).where('iccid', '=', sim).executeTakeFirstOrThrow();
    const args: Record<string, Record<string, unknown>> = {
      update_sim: { iccid: sim, label: 'viewer was here' },
      set_sim_status: { iccid: sim, status: 'Disabled' },
      send_sms: { iccid: sim, message: 'hello' },
      top_up_sim: { iccid: sim, idempotency_key: 'viewer-1' },
      reset_connectivity: { iccid: sim },
      bulk_dry_run: { action: 'disable', iccids: [sim] },
      bulk_run: { action: 'disable', iccids: [sim] },
    };
    for (const name of MUTATING_TOOLS) {
      const refused = await call(viewer, name, args[name]);
      expect(refused, name).toMatchObject({ isError: true, body: { code: 'insufficient_role', status: 403 } });
      const [entry] = await auditOf(`mcp.${name}`);
      expect(entry, name).toMatchObject({ outcome: 'denied', status_code: 403, actor_role: 'viewer' });
      expect(entry!.detail, name).toMatchObject({ error_code: 'insufficient_role' });
    }
    const after = await t.deps.database.db.selectFrom('sims').select(['status', 'label', 'tags']).where('iccid', '=', sim).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    expect(await t.deps.database.db.selectFrom('bulk_jobs').select('id').execute()).toEqual([]);
    expect(await t.deps.database.db.selectFrom('orders').select('id').execute()).toEqual([]);
  });

  it('runs every mutating tool for an operator (bearer token) at 1NCE through the platform', async () => {
    const labelled = await call(operator, 'update_sim', { iccid: sim, label: 'Truck 7', tags: ['trucks', 'north'] });
    expect(labelled.isError, JSON.stringify(labelled.body)).toBe(false);
    expect(labelled.body.sim).toMatchObject({ label: 'Truck 7', tags: ['trucks', 'north'] });
    expect((await call(operator, 'find_sims', { tag: 'north' })).body.items.map((s: { iccid: string }) => s.iccid)).toEqual([sim]);

    const disabled = await call(operator, 'set_sim_status', { iccid: sim, status: 'Disabled' });
    expect(disabled.body.sim.status).toBe('Disabled');
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/sims/${sim}`, headers: await authHeaders(t, 'viewer') })).json().status).toBe('Disabled');
    expect((await call(operator, 'set_sim_status', { iccid: sim, status: 'Enabled' })).body.sim.status).toBe('Enabled');

    const sent = await call(operator, 'send_sms', { iccid: sim, message: 'Reboot at 03:00 UTC' });
    expect(sent.isError, JSON.stringify(sent.body)).toBe(false);
    expect(sent.body.part_total).toBe(1);

    const topup = await call(operator, 'top_up_sim', { iccid: sim, idempotency_key: 'mcp-topup-1' });
    expect(topup.isError, JSON.stringify(topup.body)).toBe(false);
    expect(topup.body.replayed).toBe(false);
    const again = await call(operator, 'top_up_sim', { iccid: sim, idempotency_key: 'mcp-topup-1' });
    expect(again.body).toMatchObject({ replayed: true, order: { id: topup.body.order.id } });
    expect(await t.deps.database.db.selectFrom('orders').select('id').execute()).toHaveLength(1);

    const reset = await call(operator, 'reset_connectivity', { iccid: sim });
    expect(reset.isError, JSON.stringify(reset.body)).toBe(false);
    expect(reset.body).toHaveProperty('id');

    const preview = await call(operator, 'bulk_dry_run', { action: 'add_tag', filter: { tag: 'trucks' }, params: { tag: 'fleet-a' } });
    expect(preview.body).toMatchObject({ dry_run: true, total: 1, valid: 1, sample: [sim] });
    expect(await t.deps.database.db.selectFrom('bulk_jobs').select('id').execute()).toEqual([]);
    const job = await call(operator, 'bulk_run', { action: 'add_tag', iccids: [sim, iccids[3]!], params: { tag: 'fleet-a' } });
    expect(job.body).toMatchObject({ action: 'add_tag', total: 2 });
    expect(await t.deps.bulkRunner.run(job.body.id)).toBe('completed');
    const progress = await call(viewer, 'get_bulk_job', { id: job.body.id });
    expect(progress.body).toMatchObject({ status: 'completed', succeeded: 2, progress_percent: 100 });

    const [entry] = await auditOf('mcp.set_sim_status');
    expect(entry).toMatchObject({ outcome: 'success', actor_type: 'user', actor_role: 'operator', target_id: sim });

    // Every read tool answers an operator too (a higher role includes the lower).
    const reads: Record<string, Record<string, unknown>> = {
      find_sims: { page_size: 1 },
      get_sim: { iccid: sim },
      get_sim_usage: { iccid: sim },
      get_sim_quota: { iccid: sim },
      forecast_quota_exhaustion: { within_days: 7 },
      get_sim_connectivity: { iccid: sim, cached: true },
      get_fleet_summary: {},
      list_alerts: {},
      get_bulk_job: { id: job.body.id },
      get_sim_diagnosis: { iccid: sim },
      forecast_fleet: {},
      forecast_sims: { within_days: 30 },
      get_monthly_report: {},
    };
    for (const name of READ_TOOLS) expect((await call(operator, name, reads[name])).isError, name).toBe(false);
    // The provider action is audited by the service too, as for a REST call.
    expect(await t.deps.database.db.selectFrom('audit_log').select('action').where('target_id', '=', sim).where('action', 'like', 'sim.%').execute()).not.toEqual([]);
  });

  it('rejects bad arguments cleanly: a tool error naming the field, nothing run, the server still answering', async () => {
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['find_sims', { nope: 1 }, 'invalid_arguments', 'nope'],
      ['find_sims', { page_size: '5' }, 'invalid_arguments', 'page_size'],
      ['find_sims', { page_size: 1e308 }, 'invalid_arguments', 'page_size'],
      ['find_sims', { q: 'a\u0000b' }, 'invalid_arguments', 'q'],
      ['find_sims', { connectivity: 'SLEEPING' }, 'validation_failed', 'querystring.connectivity'],
      ['find_sims', { sort: 'secret_hash' }, 'validation_failed', 'querystring.sort'],
      ['get_sim', {}, 'invalid_arguments', 'iccid'],
      ['get_sim', { iccid: 8988280666 }, 'invalid_arguments', 'iccid'],
      ['get_sim', { iccid: '12' }, 'invalid_iccid', 'params.iccid'],
      ['get_sim_diagnosis', { iccid: '12' }, 'invalid_iccid', 'params.iccid'],
      ['get_monthly_report', { month: '2026-13-01' }, 'invalid_arguments', 'month'],
      ['forecast_sims', { kind: 'theft' }, 'invalid_arguments', 'kind'],
      ['get_sim_quota', { iccid: sim, service: 'voice' }, 'invalid_arguments', 'service'],
      ['set_sim_status', { iccid: sim, status: 'Suspended' }, 'invalid_arguments', 'status'],
      ['update_sim', { iccid: sim }, 'invalid_arguments', '(arguments)'],
      ['top_up_sim', { iccid: sim }, 'invalid_arguments', 'idempotency_key'],
      ['send_sms', { iccid: sim, message: '' }, 'invalid_arguments', 'message'],
      ['bulk_run', { action: 'explode', iccids: [sim] }, 'invalid_arguments', 'action'],
      ['forecast_quota_exhaustion', { by: '2026-13-45' }, 'validation_failed', 'by'],
      ['forecast_quota_exhaustion', { within_days: 0 }, 'invalid_arguments', 'within_days'],
    ];
    for (const [name, args, code, field] of cases) {
      const result = await call(operator, name, args);
      expect(result.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(result.body.code, `${name} ${JSON.stringify(args)}`).toBe(code);
      expect(result.body.errors.map((e: { field: string }) => e.field), `${name} ${JSON.stringify(args)}`).toContain(field);
    }
    // Deeply nested and huge arguments are refused without recursion or a crash.
    const deep = `${'{"d":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const raw = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: { ...operatorHeaders, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"find_sims","arguments":{"q":${deep}}}}`,
    });
    expect(raw.status).toBe(200);
    const answer = (await raw.json()) as { result: { isError: boolean; content: Array<{ text: string }> } };
    expect(answer.result.isError).toBe(true);
    expect(JSON.parse(answer.result.content[0]!.text)).toMatchObject({ code: 'invalid_arguments' });
    // An unknown tool is a protocol error (as MCP specifies), not a crash.
    await expect(operator.callTool({ name: 'drop_database', arguments: {} })).rejects.toThrow(/Unknown tool/);
    expect((await call(operator, 'get_sim', { iccid: sim })).isError).toBe(false);
    const [entry] = await auditOf('mcp.get_sim_quota');
    expect(entry).toMatchObject({ outcome: 'failure', status_code: 400 });
  });

  it('authenticates like the REST API: no credential or a bad one is a 401 problem, GET is 405', async () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const post = (headers: Record<string, string>) =>
      fetch(`${origin}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(initialize) });
    const anonymous = await post({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await post({ 'x-api-key': 'sfk_not_a_real_key' })).status).toBe(401);
    await expect(mcpClient(origin, { 'x-api-key': 'sfk_not_a_real_key' })).rejects.toThrow();
    const ok = await post(await authHeaders(t, 'viewer'));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe('simfleet');
    const batch = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(await authHeaders(t, 'viewer')) },
      body: JSON.stringify([initialize, { ...initialize, id: 2 }]),
    });
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as { code: string }).code).toBe('mcp_batch_not_supported');
    const get = await fetch(`${origin}/mcp`, { headers: await authHeaders(t, 'viewer') });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${origin}/mcp?api_key=x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(400);
    // /mcp is not a REST operation: the OpenAPI document leaves it out.
    const document = (await (await fetch(`${origin}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(document.paths['/mcp']).toBeUndefined();
  });
});

describe('MCP rate limit', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('shares the per-caller API rate limit: a burst of calls is refused with 429 and the client sees an error', async () => {
    t = await buildTestApp({ simulator: { fleetSize: 5 }, env: { API_RATE_LIMIT_RPS: '3' } });
    const origin = await listen(t);
    const headers = await authHeaders(t, 'viewer');
    const client = await mcpClient(origin, headers);
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => client.callTool({ name: 'get_fleet_summary', arguments: {} })));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/429/);
    await client.close();
  });
});
