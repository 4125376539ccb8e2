import { randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';

/**
 * Hostile input against every route (ADR 0009): NUL and other control characters, wrong JSON types,
 * deep nesting, huge numbers, missing and non-JSON bodies. Every refusal is a 4xx problem document
 * naming the field, and changes nothing: not our database, not 1NCE (the simulator).
 */

interface Operation {
  method: string;
  path: string;
  hasBody: boolean;
  query: Array<{ name: string; type: string | undefined }>;
}

function expectProblem(res: LightMyRequestResponse, status: number, code?: string): Record<string, unknown> {
  expect(res.statusCode, `${res.statusCode} ${res.body}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json<Record<string, unknown>>();
  if (code !== undefined) expect(body.code).toBe(code);
  return body;
}

function fields(res: LightMyRequestResponse): string[] {
  return (res.json<{ errors?: Array<{ field: string }> }>().errors ?? []).map((e) => e.field);
}

/** JSON text nested `depth` objects deep (as text: JSON.stringify itself would overflow building it). */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;
}

describe('hostile input at the edge', () => {
  let t: TestApp;
  let admin: Record<string, string>;
  let iccid: string;
  let operations: Operation[];

  const inject = (options: InjectOptions) => t.app.inject({ ...options, headers: { ...admin, ...(options.headers as Record<string, string> | undefined) } });

  /** The simulator's own view of a SIM (1NCE's side). */
  const providerLabel = async (id: string) => (await (await t.deps.provider.get(t.accountId!)).getSim(id)).label;
  const storedRow = (id: string) => t.deps.database.db.selectFrom('sims').selectAll().where('iccid', '=', id).executeTakeFirstOrThrow();

  const concretePath = (path: string) =>
    path
      .replace('{iccid}', iccid)
      .replace('{service}', 'data')
      .replace('{name}', 'sync-sims')
      .replace(/\{id\}/g, (_m) => randomUUID());

  beforeAll(async () => {
    // Hundreds of requests in a burst from one caller: the per-caller limit (100/s) is not under test here.
    t = await buildTestApp({ simulator: { fleetSize: 12 }, env: { API_RATE_LIMIT_RPS: '100000' } });
    admin = await authHeaders(t, 'admin');
    await t.deps.fleet.sync.sweep(t.accountId!, { priority: 'background', firstDetailsLimit: 0 });
    // A SIM 1NCE lets us change (some simulated SIMs are expired).
    const client = await t.deps.provider.get(t.accountId!);
    const rows = await t.deps.database.db.selectFrom('sims').select('iccid').orderBy('iccid').execute();
    for (const row of rows) {
      try {
        await client.updateSim(row.iccid, { label: 'probe' }, { priority: 'interactive' });
        iccid = row.iccid;
        break;
      } catch {
        // expired at 1NCE: try the next one
      }
    }
    await t.deps.fleet.sync.syncSim(iccid, { priority: 'interactive' });
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema?: { type?: string } }>; requestBody?: { content?: Record<string, unknown> } }>>;
    }>();
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          hasBody: op.requestBody?.content?.['application/json'] !== undefined,
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, type: p.schema?.type })),
        })),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  describe('JSON bodies are validated strictly', () => {
    it('does not coerce types: 12 is not a username, ["a"] is not a password', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 12, password: ['a'] } });
      expectProblem(res, 400, 'validation_failed');
      expect(fields(res)).toEqual(expect.arrayContaining(['body.username', 'body.password']));
    });

    it.each([
      ['a string for a boolean', { imei_lock: 'true' }, 'body.imei_lock'],
      ['a number for a string', { label: 7 }, 'body.label'],
      ['a string for an array', { tags: 'a' }, 'body.tags'],
    ])('refuses %s on PATCH /sims and changes nothing', async (_name, payload, field) => {
      const before = await storedRow(iccid);
      const res = await inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, payload });
      expectProblem(res, 400, 'validation_failed');
      expect(fields(res)).toContain(field);
      expect(await storedRow(iccid)).toEqual(before);
    });

    it('still coerces query strings and path parameters', async () => {
      const res = await inject({ method: 'GET', url: '/api/v1/sims?page=2&page_size=5&quota_below=50' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ page: 2, page_size: 5 });
    });

    it('refuses a number too large to be finite (Ajv coerces "1e309" to Infinity) with a 400 naming it', async () => {
      for (const url of ['/api/v1/sims?page_size=1e309', '/api/v1/sims?quota_below=-1e309', '/api/v1/fleet/forecast/sims?within_days=1e309']) {
        const res = await inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(400);
        expect(res.json(), url).toMatchObject({ code: 'validation_failed' });
        expect(JSON.stringify(res.json().errors), url).toContain('finite');
      }
    });
  });

  describe('content types', () => {
    it('answers 415 to a text/plain body on a JSON route, as documented', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'text/plain' }, payload: 'username=admin' });
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('answers 415 to a form body on a JSON route', async () => {
      const res = await inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'label=x' });
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('still reads CSV on the import route', async () => {
      const res = await inject({ method: 'POST', url: '/api/v1/sims/import?dry_run=true', headers: { 'content-type': 'text/csv' }, payload: `iccid,label,tags\n${iccid},probe,\n` });
      expect(res.statusCode, res.body).toBe(200);
    });

    it('keeps refusing a missing body where one is required', async () => {
      const res = await inject({ method: 'POST', url: '/api/v1/sims' });
      expectProblem(res, 400, 'invalid_body');
    });
  });

  describe('actions whose parameters are all optional need no body', () => {
    const actions = () => [`/api/v1/sims/${iccid}/usage/sync`, `/api/v1/sims/${iccid}/sync`];

    it.each([
      ['no body and no content type (curl -X POST)', {}],
      ['an empty JSON body', { headers: { 'content-type': 'application/json' }, payload: '' }],
      ['an empty form body (curl -X POST -d "")', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' }],
      ['an empty JSON object', { payload: {} }],
    ])('accepts %s', async (_name, request) => {
      for (const url of actions()) {
        const res = await inject({ method: 'POST', url, ...(request as Partial<InjectOptions>) });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      }
    });

    it('every POST route whose body schema has no required property accepts no body', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
        paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { type?: string; required?: string[] } }> } }>>;
      }>();
      const optional = Object.entries(doc.paths).flatMap(([path, item]) => {
        const schema = item.post?.requestBody?.content?.['application/json']?.schema;
        return schema?.type === 'object' && (schema.required ?? []).length === 0 ? [path] : [];
      });
      expect(optional).toEqual(expect.arrayContaining(['/api/v1/sims/{iccid}/usage/sync']));
      for (const path of optional) {
        const res = await inject({ method: 'POST', url: concretePath(path) });
        // The body is never the problem: whatever the route answers, it is not a body complaint.
        expect(res.statusCode, `${path}: ${res.body}`).toBeLessThan(500);
        expect(res.json<{ code?: string }>().code ?? '', path).not.toMatch(/^(invalid_body|validation_failed|unsupported_media_type)$/);
      }
    });
  });

  describe('control characters', () => {
    it('refuses a NUL label before calling 1NCE: 400, nothing changed at 1NCE or here', async () => {
      const before = await storedRow(iccid);
      const res = await inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, payload: { label: 'x\u0000y' } });
      expectProblem(res, 400, 'validation_failed');
      expect(fields(res)).toEqual(['body.label']);
      expect(await providerLabel(iccid)).toBe('probe');
      expect(await storedRow(iccid)).toEqual(before);
    });

    it('refuses line breaks in a label but keeps them in an SMS text', async () => {
      expectProblem(await inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, payload: { label: 'two\nlines' } }), 400, 'validation_failed');
      const sms = await inject({ method: 'POST', url: `/api/v1/sims/${iccid}/sms`, payload: { message: 'line 1\nline 2\tend' } });
      expect(sms.statusCode, sms.body).toBeLessThan(500);
      expect(sms.json<{ code?: string }>().code).not.toBe('validation_failed');
    });

    it.each([
      ['a tag', 'PATCH', () => `/api/v1/sims/${iccid}`, { tags: ['ok', 'b\u0000d'] }, 'body.tags.1'],
      ['a custom field value', 'PATCH', () => `/api/v1/sims/${iccid}`, { custom_fields: { k: 'v\u0000' } }, 'body.custom_fields.k'],
      ['a custom field key', 'PATCH', () => `/api/v1/sims/${iccid}`, { custom_fields: { 'k\u0000': 'v' } }, 'body.custom_fields.k\\u0000'],
      ['the login username', 'POST', () => '/api/v1/auth/login', { username: 'adm\u0000in', password: 'x' }, 'body.username'],
      ['a bulk label', 'POST', () => '/api/v1/bulk-jobs', { action: 'label', iccids: [iccid], params: { label: 'a\u0000' } }, 'body.params.label'],
      ['an SMS text', 'POST', () => `/api/v1/sims/${iccid}/sms`, { message: 'hi\u0000' }, 'body.message'],
      ['a DEL in a ticket subject', 'POST', () => '/api/v1/support/tickets', { reply_to_mail: 'a@example.com', sender_name: 'x', subject: 'a\u007f', text: 'x' }, 'body.subject'],
    ])('refuses NUL in %s with 400 naming the field', async (_name, method, url, payload, field) => {
      const res = await inject({ method: method, url: url(), payload });
      expectProblem(res, 400, 'validation_failed');
      expect(fields(res)).toContain(field);
    });

    it.each([
      ['/api/v1/sims?q=a%00b', 'querystring.q'],
      ['/api/v1/users?q=a%00b', 'querystring.q'],
      ['/api/v1/audit?actor=a%00b', 'querystring.actor'],
      ['/api/v1/sims/export?tag=a%0Ab', 'querystring.tag'],
    ])('refuses control characters in the query %s', async (url, field) => {
      const res = await inject({ method: 'GET', url });
      expectProblem(res, 400, 'validation_failed');
      expect(fields(res)).toContain(field);
    });

    it('refuses a NUL in any string query parameter of any GET route', async () => {
      const probed: string[] = [];
      for (const op of operations.filter((o) => o.method === 'GET')) {
        const param = op.query.find((q) => q.type === 'string' || q.type === undefined);
        if (param === undefined) continue;
        const res = await inject({ method: 'GET', url: `${concretePath(op.path)}?${param.name}=x%00` });
        expectProblem(res, 400);
        probed.push(op.path);
      }
      expect(probed.length).toBeGreaterThan(10);
    });

    it('refuses a NUL property name in the body of every JSON route', async () => {
      const probed = operations.filter((o) => o.hasBody && !o.path.startsWith('/api/v1/streams'));
      expect(probed.length).toBeGreaterThan(15);
      for (const op of probed) {
        const res = await inject({ method: op.method, url: concretePath(op.path), payload: { 'x\u0000': 1 } });
        expect(res.statusCode, `${op.method} ${op.path}: ${res.body}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${op.method} ${op.path}: ${res.body}`).toBeLessThan(500);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });
  });

  describe('sizes and numbers', () => {
    it('refuses custom fields nested 5,000 deep on every JSON route without a stack overflow', async () => {
      const json = { 'content-type': 'application/json' };
      const res = await inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, headers: json, payload: `{"custom_fields":${nested(5_000)}}` });
      expectProblem(res, 400, 'validation_failed');
      for (const op of operations.filter((o) => o.hasBody && !o.path.startsWith('/api/v1/streams'))) {
        const r = await inject({ method: op.method, url: concretePath(op.path), headers: json, payload: nested(5_000) });
        expect(r.statusCode, `${op.method} ${op.path}: ${r.body}`).toBeGreaterThanOrEqual(400);
        expect(r.statusCode, `${op.method} ${op.path}: ${r.body}`).toBeLessThan(500);
      }
    });

    it.each([
      ['four levels deep', { a: { b: { c: { d: 1 } } } }],
      ['51 keys', Object.fromEntries(Array.from({ length: 51 }, (_v, i) => [`k${i}`, i]))],
      ['a 65-character key', { ['k'.repeat(65)]: 1 }],
      ['a 1,001-character string', { k: 'x'.repeat(1_001) }],
      ['an empty key', { '': 1 }],
    ])('bounds custom fields: refuses %s', async (_name, customFields) => {
      const res = await inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, payload: { custom_fields: customFields } });
      expectProblem(res, 400, 'validation_failed');
    });

    it('accepts three levels, and refuses a merge that would exceed 50 keys with 422', async () => {
      const ok = await inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, payload: { custom_fields: { site: { rack: { slot: 3 } }, list: [[1, 2], { a: 'b' }] } } });
      expect(ok.statusCode, ok.body).toBe(200);
      const first = Object.fromEntries(Array.from({ length: 40 }, (_v, i) => [`a${i}`, i]));
      expect((await inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, payload: { custom_fields: first } })).statusCode).toBe(200);
      const before = await storedRow(iccid);
      const more = Object.fromEntries(Array.from({ length: 20 }, (_v, i) => [`b${i}`, i]));
      const res = await inject({ method: 'PATCH', url: `/api/v1/sims/${iccid}`, payload: { custom_fields: more, label: 'not-sent' } });
      expectProblem(res, 422, 'custom_fields_too_large');
      expect(await storedRow(iccid)).toEqual(before);
      expect(await providerLabel(iccid)).toBe('probe');
    });

    it('refuses page=1e308 (and any page past the maximum) on every list', async () => {
      const lists = operations.filter((o) => o.method === 'GET' && o.query.some((q) => q.name === 'page'));
      expect(lists.map((o) => o.path)).toEqual(expect.arrayContaining(['/api/v1/sims', '/api/v1/audit', '/api/v1/bulk-jobs']));
      for (const op of lists) {
        for (const page of ['1e308', '1000001', '99999999999999999999999999999']) {
          const res = await inject({ method: 'GET', url: `${concretePath(op.path)}?page=${page}` });
          expectProblem(res, 400, 'validation_failed');
        }
      }
    });
  });

  describe('SIM status', () => {
    it('registers only known statuses', async () => {
      const res = await inject({ method: 'POST', url: '/api/v1/sims', payload: { iccid: '8988280666999000001', status: '=HYPERLINK("http://evil","x")' } });
      expectProblem(res, 400, 'validation_failed');
      expect(fields(res)).toContain('body.status');
      const ok = await inject({ method: 'POST', url: '/api/v1/sims', payload: { iccid: '8988280666999000001', status: 'Enabled' } });
      expect(ok.statusCode, ok.body).toBe(201);
    });
  });
});
