import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLuhn } from '../../src/lib/identifiers.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { updateSimsByIccid } from '../helpers/factories.js';
import { parseCsv } from '../../src/modules/sims/sims.csv.js';
import { simulatorRequests, sweepFleet } from '../modules/sims/fixtures.js';

const PUT_SIM = 'PUT /v2/sims/{iccid}';

describe.each(backends)('SIMs over HTTP (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;
  let operator: Record<string, string>;
  let iccids: string[];

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 60 }, env: { API_RATE_LIMIT_RPS: '100000' } });
    viewer = await authHeaders(t, 'viewer');
    operator = await authHeaders(t, 'operator');
    await sweepFleet(t);
    iccids = (await t.deps.database.db.selectFrom('sims').select('iccid').orderBy('iccid').execute()).map((r) => r.iccid);
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (url: string, headers = viewer) => t.app.inject({ method: 'GET', url, headers });

  describe('list', () => {
    it('pages the stored fleet with totals', async () => {
      const response = await get('/api/v1/sims?page=2&page_size=25');
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({ total: 60, page: 2, page_size: 25, total_pages: 3 });
      expect(body.items.map((s: { iccid: string }) => s.iccid)).toEqual(iccids.slice(25, 50));
    });

    it('defaults to 50 per page and caps page_size at 500', async () => {
      expect((await get('/api/v1/sims')).json().items).toHaveLength(50);
      const tooBig = await get('/api/v1/sims?page_size=501');
      expect(tooBig.statusCode).toBe(400);
      expect(tooBig.json().errors[0].field).toContain('page_size');
    });

    it('sorts by any whitelisted field, descending with -', async () => {
      const body = (await get('/api/v1/sims?sort=-iccid&page_size=5')).json();
      expect(body.items.map((s: { iccid: string }) => s.iccid)).toEqual([...iccids].reverse().slice(0, 5));
      const bad = await get('/api/v1/sims?sort=secret_hash');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors[0].field).toBe('querystring.sort');
    });

    it('filters by status (any case) matching the database', async () => {
      const expected = await t.deps.database.db.selectFrom('sims').select('iccid').where('status', '=', 'Disabled').execute();
      expect(expected.length).toBeGreaterThan(0);
      const body = (await get('/api/v1/sims?status=disabled&page_size=500')).json();
      expect(body.total).toBe(expected.length);
      expect(body.items.every((s: { status: string }) => s.status === 'Disabled')).toBe(true);
    });

    it('searches identifiers by prefix and labels by substring', async () => {
      const target = iccids[7]!;
      const byIccid = (await get(`/api/v1/sims?q=${target.slice(0, 18)}`)).json();
      expect(byIccid.items.map((s: { iccid: string }) => s.iccid)).toContain(target);
      expect(byIccid.total).toBeLessThan(60);
      const labelled = await t.deps.database.db.selectFrom('sims').select(['iccid', 'label']).where('label', 'is not', null).executeTakeFirstOrThrow();
      const word = labelled.label!.split('-')[0]!.toLowerCase();
      const byLabel = (await get(`/api/v1/sims?q=${encodeURIComponent(word)}&page_size=500`)).json();
      expect(byLabel.items.map((s: { iccid: string }) => s.iccid)).toContain(labelled.iccid);
      expect(byLabel.items.every((s: { label: string | null }) => s.label?.toLowerCase().includes(word))).toBe(true);
    });

    it('filters by tags (any of), account, connectivity, quota_below and last seen', async () => {
      const db = t.deps.database.db;
      await updateSimsByIccid(db, { tags: ['north', 'trucks'] }, iccids[0]!);
      await updateSimsByIccid(db, { tags: ['south'] }, iccids[1]!);
      const tagged = (await get('/api/v1/sims?tag=north,south')).json();
      expect(tagged.items.map((s: { iccid: string }) => s.iccid).sort()).toEqual([iccids[0], iccids[1]].sort());
      expect((await get('/api/v1/sims?tag=trucks')).json().total).toBe(1);

      expect((await get(`/api/v1/sims?account=${t.accountId!}`)).json().total).toBe(60);
      expect((await get('/api/v1/sims?account=00000000-0000-4000-8000-000000000000')).json().total).toBe(0);
      expect((await get('/api/v1/sims?account=nope')).statusCode).toBe(400);

      await updateSimsByIccid(db, { data_total_bytes: 1000, data_remaining_bytes: 100, connectivity_status: 'ONLINE', last_seen_at: new Date('2025-01-02T00:00:00Z') }, iccids[2]!);
      await updateSimsByIccid(db, { data_total_bytes: 1000, data_remaining_bytes: 900, connectivity_status: 'OFFLINE', last_seen_at: new Date('2024-01-02T00:00:00Z') }, iccids[3]!);
      const low = (await get('/api/v1/sims?quota_below=20')).json();
      expect(low.items.map((s: { iccid: string }) => s.iccid)).toEqual([iccids[2]]);
      expect(low.items[0].data_remaining_pct).toBe(10);
      expect((await get('/api/v1/sims?connectivity=online')).json().items.map((s: { iccid: string }) => s.iccid)).toEqual([iccids[2]]);
      expect((await get('/api/v1/sims?connectivity=SLEEPING')).statusCode).toBe(400);
      const seen = (await get('/api/v1/sims?last_seen_after=2024-06-01&last_seen_before=2025-06-01')).json();
      expect(seen.items.map((s: { iccid: string }) => s.iccid)).toEqual([iccids[2]]);
      const sortedBySeen = (await get('/api/v1/sims?sort=-last_seen_at&page_size=3')).json();
      expect(sortedBySeen.items.map((s: { iccid: string }) => s.iccid).slice(0, 2)).toEqual([iccids[2], iccids[3]]);
    });

    it('requires authentication', async () => {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/sims' })).statusCode).toBe(401);
    });
  });

  describe('export', () => {
    it('streams every filtered SIM as CSV with escaping, in keyset batches', async () => {
      await updateSimsByIccid(t.deps.database.db, { label: 'Depot, "North"\nbay', tags: ['=cmd'] }, iccids[5]!);
      const response = await get('/api/v1/sims/export?format=csv');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      const records = parseCsv(response.body);
      expect(records[0]!.cells.slice(0, 3)).toEqual(['iccid', 'iccid_with_luhn', 'imsi']);
      expect(records).toHaveLength(61);
      expect(records.slice(1).map((r) => r.cells[0])).toEqual(iccids);
      const header = records[0]!.cells;
      const row = records.find((r) => r.cells[0] === iccids[5])!;
      expect(row.cells[header.indexOf('label')]).toBe('Depot, "North"\nbay');
      // A spreadsheet would run =cmd as a formula; the export defuses it.
      expect(row.cells[header.indexOf('tags')]).toBe("'=cmd");
      expect(response.body).toContain('"Depot, ""North""\nbay"');
    });

    it('streams NDJSON of a filtered, sorted view', async () => {
      const response = await get('/api/v1/sims/export?format=ndjson&status=Enabled&sort=-iccid');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = response.body.trim().split('\n').map((l) => JSON.parse(l) as { iccid: string; status: string });
      const enabled = (await get('/api/v1/sims?status=Enabled&sort=-iccid&page_size=500')).json();
      expect(lines.map((l) => l.iccid)).toEqual(enabled.items.map((s: { iccid: string }) => s.iccid));
      expect(lines.every((l) => l.status === 'Enabled')).toBe(true);
    });

    it('keyset paging crosses batches on a nullable sort column without losing or repeating rows', async () => {
      const service = t.deps.fleet.sims;
      const lines: string[] = [];
      for await (const chunk of service.export({}, { field: 'last_seen_at', direction: 'desc' }, 'ndjson')) lines.push(...chunk.trim().split('\n'));
      const seen = lines.map((l) => (JSON.parse(l) as { iccid: string }).iccid);
      expect(new Set(seen).size).toBe(60);
      expect(seen.slice(0, 2)).toEqual([iccids[2], iccids[3]]);
    });
  });

  describe('get one', () => {
    it('returns the stored SIM with its freshness, from either ICCID form', async () => {
      const response = await get(`/api/v1/sims/${withLuhn(iccids[10]!)}`);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.iccid).toBe(iccids[10]);
      expect(body.freshness.last_synced_at).toBe(body.last_synced_at);
      expect(body.freshness.age_seconds).toBeGreaterThanOrEqual(0);
      expect(body.freshness.age_seconds).toBeLessThan(600);
    });

    it('answers 400, 422 and 404 for malformed, wrong-Luhn and unknown ICCIDs', async () => {
      const malformed = await get('/api/v1/sims/12345');
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().errors[0].field).toBe('params.iccid');
      const good = withLuhn(iccids[0]!);
      const wrongLuhn = `${good.slice(0, 19)}${(Number(good[19]) + 1) % 10}`;
      const luhn = await get(`/api/v1/sims/${wrongLuhn}`);
      expect(luhn.statusCode).toBe(422);
      expect(luhn.json().errors[0].field).toBe('params.iccid');
      const unknown = await get('/api/v1/sims/8988280666999999999');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.headers['content-type']).toMatch(/problem\+json/);
    });

    it('serves repeated reads from the cache and counts hits', async () => {
      const hits = async () => (await t.deps.metrics.registry.getSingleMetric('simfleet_cache_requests_total')!.get()).values.find((v) => v.labels.result === 'hit')?.value ?? 0;
      await get(`/api/v1/sims/${iccids[11]!}`);
      const before = await hits();
      await get(`/api/v1/sims/${iccids[11]!}`);
      expect(await hits()).toBe(before + 1);
    });
  });

  describe('register', () => {
    const fresh = '8949000000000000019';

    it('registers a SIM manually and refuses a duplicate with 409', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/sims',
        headers: operator,
        payload: { iccid: withLuhn(fresh), imsi: '901405999999999', msisdn: '+882285999999999', imei: withLuhn('35284110123456'), label: 'Spare', tags: ['spares', 'spares'] },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ iccid: fresh, source: 'manual', tags: ['spares'], msisdn: '882285999999999', account_id: t.accountId });
      const again = await t.app.inject({ method: 'POST', url: '/api/v1/sims', headers: operator, payload: { iccid: fresh } });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('sim_exists');
    });

    it('names the invalid identifier: 400 for a malformed one, 422 for a failed check digit', async () => {
      const imsi = await t.app.inject({ method: 'POST', url: '/api/v1/sims', headers: operator, payload: { iccid: '8949000000000000027', imsi: '12345' } });
      expect(imsi.statusCode).toBe(400);
      expect(imsi.json().errors).toEqual([{ field: 'body.imsi', message: expect.any(String) }]);
      const imei = await t.app.inject({ method: 'POST', url: '/api/v1/sims', headers: operator, payload: { iccid: '8949000000000000027', imei: '352841101234560' } });
      expect(imei.statusCode).toBe(422);
      expect(imei.json().errors[0].field).toBe('body.imei');
      const iccid = await t.app.inject({ method: 'POST', url: '/api/v1/sims', headers: operator, payload: { iccid: 'abc' } });
      expect(iccid.statusCode).toBe(400);
      expect(iccid.json().errors[0].field).toBe('body.iccid');
      const msisdn = await t.app.inject({ method: 'POST', url: '/api/v1/sims', headers: operator, payload: { iccid: '8949000000000000027', msisdn: '0123' } });
      expect(msisdn.json().errors[0].field).toBe('body.msisdn');
    });

    it('is for operators', async () => {
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/sims', headers: viewer, payload: { iccid: '8949000000000000035' } })).statusCode).toBe(403);
    });
  });

  describe('patch', () => {
    it('changes label and status at 1NCE first, tags and custom fields locally, and says so', async () => {
      const iccid = iccids[20]!;
      const puts = (await simulatorRequests(t))[PUT_SIM] ?? 0;
      await get(`/api/v1/sims/${iccid}`); // cached now; the patch must invalidate it
      const response = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/sims/${iccid}`,
        headers: operator,
        payload: { label: 'Truck 7', status: 'Disabled', tags: ['fleet-a', 'fleet-a'], custom_fields: { vehicle: 'B-XY 1', drop: null } },
      });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.applied).toEqual({ provider: ['label', 'status'], local: ['tags', 'custom_fields'] });
      expect(body.sim).toMatchObject({ label: 'Truck 7', status: 'Disabled', tags: ['fleet-a'], custom_fields: { vehicle: 'B-XY 1' } });
      expect((await simulatorRequests(t))[PUT_SIM]).toBe(puts + 1);
      expect((await get(`/api/v1/sims/${iccid}`)).json()).toMatchObject({ label: 'Truck 7', status: 'Disabled' });

      // 1NCE really holds it: a sync brings the same values back.
      const synced = await t.app.inject({ method: 'POST', url: `/api/v1/sims/${iccid}/sync`, headers: operator });
      expect(synced.statusCode).toBe(200);
      expect(synced.json().sim).toMatchObject({ label: 'Truck 7', status: 'Disabled', tags: ['fleet-a'] });
      expect(synced.json().synced).toEqual(['sim', 'quota_data', 'quota_sms']);

      const audit = await t.deps.database.db.selectFrom('audit_log').select(['action', 'outcome', 'target_id']).where('target_id', '=', iccid).execute();
      expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'provider.update_sim', outcome: 'success' }), expect.objectContaining({ action: 'sim.update' })]));
    });

    it('stores nothing when 1NCE refuses', async () => {
      const iccid = iccids[21]!;
      const before = (await get(`/api/v1/sims/${iccid}`)).json();
      await fetch(`${t.simulatorOrigin!}/_simulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ serverError: 1 }) });
      try {
        const response = await t.app.inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, headers: operator, payload: { label: 'never', tags: ['never'] } });
        expect([502, 503]).toContain(response.statusCode);
        expect(response.body).not.toMatch(/at .*\.ts/);
      } finally {
        await fetch(`${t.simulatorOrigin!}/_simulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ serverError: 0 }) });
      }
      expect((await get(`/api/v1/sims/${iccid}`)).json()).toMatchObject({ label: before.label, tags: before.tags });
    });

    it('applies everything locally for a manually registered SIM and validates the body', async () => {
      const response = await t.app.inject({ method: 'PATCH', url: '/api/v1/sims/8949000000000000019', headers: operator, payload: { label: 'Local', imei_lock: true } });
      expect(response.statusCode).toBe(200);
      expect(response.json().applied).toEqual({ provider: [], local: ['label', 'imei_lock'] });
      expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/sims/${iccids[0]!}`, headers: operator, payload: { status: 'Paused' } })).statusCode).toBe(400);
      expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/sims/${iccids[0]!}`, headers: operator, payload: {} })).statusCode).toBe(400);
      expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/sims/${iccids[0]!}`, headers: viewer, payload: { tags: [] } })).statusCode).toBe(403);
    });
  });

  describe('sync', () => {
    it('syncs one SIM from 1NCE (creating it when new to us) and 404s one 1NCE does not know', async () => {
      await t.deps.database.db.deleteFrom('sims').where('iccid', '=', iccids[30]!).execute();
      const created = await t.app.inject({ method: 'POST', url: `/api/v1/sims/${iccids[30]!}/sync`, headers: operator });
      expect(created.statusCode).toBe(200);
      expect(created.json().sim.iccid).toBe(iccids[30]);
      expect(created.json().sim.data_total_bytes).toBeGreaterThan(0);
      const missing = await t.app.inject({ method: 'POST', url: '/api/v1/sims/8988280666999999999/sync', headers: operator });
      expect(missing.statusCode).toBe(404);
    });

    it('queues a full sync through the job engine (202 + job id), or says the engine is not running', async () => {
      const down = await t.app.inject({ method: 'POST', url: '/api/v1/sims/sync-all', headers: operator });
      expect(down.statusCode).toBe(503);
      expect(down.json().code).toBe('jobs_unavailable');
      await t.deps.jobs.start();
      try {
        const queued = await t.app.inject({ method: 'POST', url: '/api/v1/sims/sync-all', headers: operator });
        expect(queued.statusCode).toBe(202);
        expect(queued.json()).toMatchObject({ name: 'sync-sims', status: 'queued', job_id: expect.any(String) });
      } finally {
        await t.deps.jobs.stop();
      }
    });
  });

  describe('import', () => {
    const post = (csv: string, query = '') =>
      t.app.inject({ method: 'POST', url: `/api/v1/sims/import${query}`, headers: { ...operator, 'content-type': 'text/csv' }, payload: csv });

    it('applies labels (at 1NCE first) and tags from CSV and reports each row', async () => {
      const bulk = (await simulatorRequests(t))['POST /v1/sims'] ?? 0;
      const csv = `iccid,label,tags\r\n${iccids[40]!},"Pump, east",pumps;east\r\n${withLuhn(iccids[41]!)},,pumps\r\n`;
      const response = await post(csv);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({ applied: true, total: 2, updated: 2, invalid: 0 });
      expect(body.rows.map((r: { outcome: string }) => r.outcome)).toEqual(['updated', 'updated']);
      expect((await get(`/api/v1/sims/${iccids[40]!}`)).json()).toMatchObject({ label: 'Pump, east', tags: ['pumps', 'east'] });
      expect((await get(`/api/v1/sims/${iccids[41]!}`)).json()).toMatchObject({ label: null, tags: ['pumps'] });
      expect((await simulatorRequests(t))['POST /v1/sims']).toBe(bulk + 1);
      // Same file again: nothing changes.
      expect((await post(csv)).json()).toMatchObject({ updated: 0, unchanged: 2, labels_sent_to_provider: 0 });
    });

    it('writes nothing when any row is invalid, and reports every bad row', async () => {
      const csv = `iccid,tags\n${iccids[42]!},ok\n12345,x\n${iccids[43]!},"bad,tag"\n8988280666999999999,y\n${iccids[42]!},dup\n`;
      const response = await post(csv);
      expect(response.statusCode).toBe(422);
      const problem = response.json();
      expect(problem.code).toBe('import_invalid_rows');
      expect(problem.report.rows.map((r: { line: number; outcome: string }) => [r.line, r.outcome])).toEqual([
        [2, 'updated'],
        [3, 'invalid'],
        [4, 'invalid'],
        [5, 'not_found'],
        [6, 'invalid'],
      ]);
      expect((await get(`/api/v1/sims/${iccids[42]!}`)).json().tags).not.toContain('ok');
    });

    it('validates without writing on dry_run, and round-trips an export', async () => {
      const dry = await post(`iccid,tags\n${iccids[44]!},dry\n`, '?dry_run=true');
      expect(dry.json()).toMatchObject({ applied: false, updated: 1 });
      expect((await get(`/api/v1/sims/${iccids[44]!}`)).json().tags).toEqual([]);
      const exported = (await get('/api/v1/sims/export?format=csv')).body;
      const again = await post(exported);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ updated: 0, invalid: 0 });
      expect((await post('nonsense\n1,2\n')).statusCode).toBe(400);
    });
  });
});
