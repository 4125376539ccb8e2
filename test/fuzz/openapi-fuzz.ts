/**
 * Property-based route fuzzing driven by the app's own `/openapi.json` (Schemathesis-style).
 *
 * For every documented operation, fast-check draws requests - valid, boundary and hostile path
 * parameters, query strings, headers and bodies - as anonymous, viewer, operator and admin, sends
 * them through `app.inject()` and checks the invariants:
 *  - no 5xx, except a 502/503/504 the operation documents (the 1NCE stand-in failing);
 *  - every error (>= 400) is `application/problem+json` with a stable snake_case `code` and a
 *    `status` equal to the HTTP status;
 *  - a refused request (4xx) to an unsafe method changes nothing (fingerprint of every table);
 *  - a 2xx JSON response matches the documented response schema (Ajv against the document).
 */
import { createHash } from 'node:crypto';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { TestApp } from '../helpers/app.js';

// ajv-formats is CommonJS; its default export arrives wrapped under some module settings.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, unknown>;

export type Role = 'anonymous' | 'viewer' | 'operator' | 'admin';
export const ROLES: Role[] = ['anonymous', 'viewer', 'operator', 'admin'];

export type CaseKind = 'valid' | 'hostile-path' | 'hostile-query' | 'hostile-body' | 'hostile-headers' | 'hostile-content-type';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: string;
  path: string;
  key: string;
  parameters: Parameter[];
  body?: { contentType: string; schema: Schema; required: boolean };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  pointer: string;
}

export interface FuzzRequest {
  kind: CaseKind;
  role: Role;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

export interface Finding {
  operation: string;
  invariant: 'no_5xx' | 'problem_json' | 'refusal_changes_nothing' | 'response_schema' | 'documented_status';
  status: number;
  detail: string;
  request: FuzzRequest;
}

/** A known, documented finding that is accepted for now (operation + invariant + a reason). */
export interface KnownIssue {
  operation: string;
  invariant: Finding['invariant'];
  /** When set, only a finding with exactly this detail is accepted (e.g. which tables changed). */
  detail?: string;
  reason: string;
}

export interface FuzzContext {
  t: TestApp;
  headers: Record<Exclude<Role, 'anonymous'>, Record<string, string>>;
  /** A real ICCID in the database (so valid requests reach the success paths). */
  iccid: string;
}

export interface FuzzStats {
  operations: number;
  requests: number;
  byKind: Record<CaseKind, number>;
  byRole: Record<Role, number>;
  byStatusClass: Record<string, number>;
  fingerprints: number;
  schemaChecks: number;
}

// ---------------------------------------------------------------------------------------------
// The document

export function operationsOf(doc: { paths: Record<string, Record<string, Schema>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const op = raw as { parameters?: Parameter[]; requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> }; responses: Operation['responses'] };
      const content = op.requestBody?.content;
      const contentType = content === undefined ? undefined : Object.keys(content)[0];
      ops.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        parameters: op.parameters ?? [],
        ...(contentType !== undefined && { body: { contentType, schema: content![contentType]!.schema ?? {}, required: op.requestBody?.required === true } }),
        responses: op.responses,
        pointer: `#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}`,
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Values: schema-conforming (with boundaries) and hostile

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0001\u0007\u001b[31m',
  '\r\nX-Injected: 1',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  "' or 1=1 --",
  '"; drop table sims; --',
  '<script>alert(1)</script>',
  '=cmd|"/c calc"!A1',
  '\uFEFF\u202E\uD83D\uDE00',
  '\uD800',
  'x'.repeat(10_000),
  '9'.repeat(400),
  '-1',
  '0',
  '1e309',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

const HOSTILE_NUMBERS = [-1, 0, 1, -(2 ** 31) - 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e308, 0.5, 1e-320, Number.MAX_SAFE_INTEGER + 2];

const hostileString = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }));

/** Arbitrary JSON value of a wrong type, or a hostile shape (deep nesting, prototype keys, huge). */
function hostileJson(): fc.Arbitrary<Json> {
  const deep = fc.integer({ min: 50, max: 2000 }).map((depth) => {
    let v: Json = 1;
    for (let i = 0; i < depth; i++) v = i % 2 === 0 ? { a: v } : [v];
    return v;
  });
  return fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.constantFrom(...HOSTILE_NUMBERS),
    hostileString,
    fc.constant([] as Json),
    fc.constant({}),
    deep,
    fc.constant(JSON.parse('{"__proto__":{"admin":true,"polluted":1}}') as Json),
    fc.constant({ constructor: { prototype: { polluted: 1 } } }),
    fc.array(fc.constantFrom<Json>(1, 'a', null), { minLength: 1000, maxLength: 3000 }),
  );
}

function resolveRef(doc: Schema, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
    const ref = s.$ref;
    if (!ref.startsWith('#/')) return {};
    s = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, part) => (node as Record<string, unknown>)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc) as Schema;
    if (s === undefined) return {};
  }
  return s;
}

/** Values that satisfy `schema`, biased towards its boundaries (min/max lengths and values, enums). */
export function valueFor(doc: Schema, schema: Schema | undefined, depth = 0): fc.Arbitrary<Json> {
  if (schema === undefined) return fc.constant('x');
  const s = resolveRef(doc, schema);
  if ('const' in s) return fc.constant(s.const as Json);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as Json[]));
  const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alternatives !== undefined && alternatives.length > 0) return fc.oneof(...alternatives.map((a) => valueFor(doc, a, depth + 1)));
  if (Array.isArray(s.allOf)) return valueFor(doc, Object.assign({}, ...(s.allOf as Schema[]).map((a) => resolveRef(doc, a))) as Schema, depth + 1);
  const type = Array.isArray(s.type) ? (s.type as string[])[0] : (s.type as string | undefined);
  const examples = Array.isArray(s.examples) ? (s.examples as Json[]) : [];
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : -1000;
      const max = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : 1_000_000;
      const base = type === 'integer' ? fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, 2 ** 31 - 1)) }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
      return fc.oneof(fc.constantFrom<Json>(min, Math.min(max, Number.MAX_SAFE_INTEGER)), base as fc.Arbitrary<Json>);
    }
    case 'string': {
      const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
      const maxLength = typeof s.maxLength === 'number' ? s.maxLength : 64;
      let base: fc.Arbitrary<string>;
      switch (s.format) {
        case 'uuid':
          base = fc.uuid();
          break;
        case 'date-time':
          base = fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
          break;
        case 'date':
          base = fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
          break;
        case 'email':
          base = fc.emailAddress();
          break;
        case 'uri':
          base = fc.webUrl();
          break;
        default:
          base = fc.string({ minLength, maxLength: Math.min(maxLength, 200) });
      }
      const boundary = s.format === undefined ? [fc.constant('a'.repeat(minLength)), fc.constant('z'.repeat(Math.min(maxLength, 5000)))] : [];
      return fc.oneof<fc.Arbitrary<Json>[]>(base, ...boundary, ...(examples.length > 0 ? [fc.constantFrom(...examples)] : []));
    }
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const minItems = typeof s.minItems === 'number' ? s.minItems : 0;
      const maxItems = typeof s.maxItems === 'number' ? Math.min(s.maxItems, 5) : 5;
      return fc.array(valueFor(doc, s.items as Schema | undefined, depth + 1), { minLength: minItems, maxLength: Math.max(minItems, maxItems) });
    }
    case 'object':
    case undefined:
    default: {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      if (depth > 4 || (type === undefined && Object.keys(props).length === 0)) return fc.constant({});
      const required = new Set((s.required ?? []) as string[]);
      const record: Record<string, fc.Arbitrary<Json>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = valueFor(doc, v, depth + 1);
      return fc.record(record, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
    }
  }
}

function pathValue(doc: Schema, param: Parameter, ctx: FuzzContext): fc.Arbitrary<string> {
  const generated = valueFor(doc, param.schema).map(primitiveString);
  if (param.name === 'iccid') return fc.oneof(fc.constant(ctx.iccid), fc.constant(ctx.iccid), generated, fc.stringMatching(/^\d{19,20}$/));
  return generated;
}

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD). */
function enc(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

function encodeQuery(entries: [string, string][]): string {
  if (entries.length === 0) return '';
  return '?' + entries.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

function primitiveString(v: Json): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** One request arbitrary for an operation. */
export function requestFor(doc: Schema, op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const validPath = fc.tuple(...pathParams.map((p) => pathValue(doc, p, ctx)));
  // An empty segment would address a different route (`/users/` is the list), so it is left out.
  const hostilePath = fc.tuple(...pathParams.map(() => hostileString.filter((v) => v !== '')));
  const validQuery = fc
    .tuple(...queryParams.map((p) => fc.option(valueFor(doc, p.schema), { nil: undefined, freq: p.required === true ? 0 : 2 })))
    .map((values) => values.flatMap((v, i) => (v === undefined ? [] : [[queryParams[i]!.name, primitiveString(v)] as [string, string]])));
  const hostileQuery = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom(...queryParams.map((p) => p.name), '__proto__', '__proto__[admin]', 'constructor[prototype][x]', 'limit', 'cursor', 'sort'), hostileString), hostileString),
    { maxLength: 6 },
  );
  const validBody = op.body === undefined ? fc.constant(undefined) : valueFor(doc, op.body.schema).map((v) => (op.body!.contentType.includes('json') ? JSON.stringify(v) : csvFrom(v)));
  const hostileBody = fc.oneof(
    hostileJson().map((v) => JSON.stringify(v)),
    // unknown fields and prototype keys next to otherwise valid fields
    op.body === undefined
      ? fc.constant('{"unknown":1}')
      : valueFor(doc, op.body.schema).map((v) => {
          const text = JSON.stringify(v);
          return text.startsWith('{') && text !== '{}' ? text.replace(/^\{/, '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"x":1}},"unknown_field":"\\u0000",') : text;
        }),
    fc.constantFrom('', '{', '{"a":', 'null', '"\u0000"', '[' + '['.repeat(5000), '{"a":1,"a":2}', '\uFEFF{}', 'a,b\n=1+2,@SUM(A1)\n'),
    hostileString.map((s) => JSON.stringify({ name: s, label: s, url: s, message: s, username: s, password: s })),
  );
  const roleArb = fc.constantFrom<Role>(...ROLES);
  const kinds: CaseKind[] = ['valid', 'valid', 'hostile-query', 'hostile-body', 'hostile-headers', 'hostile-content-type'];
  if (pathParams.length > 0) kinds.push('hostile-path');
  return fc
    .record({
      kind: fc.constantFrom(...kinds),
      role: roleArb,
      validPath,
      hostilePath,
      validQuery,
      hostileQuery,
      validBody,
      hostileBody,
      hostileHeaderValue: fc.oneof(hostileString, fc.constantFrom('Bearer ', 'Bearer x.y.z', 'Basic Og==', 'ApiKey sf_' + 'a'.repeat(64), 'Bearer ' + 'a'.repeat(9000))),
      hostileContentType: fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json\u0000', '*/*', 'text/csv'),
      omitBody: fc.boolean(),
    })
    .map((r) => {
      const segments = r.kind === 'hostile-path' ? r.hostilePath : r.validPath;
      let i = 0;
      const path = op.path.replace(/\{[^}]+\}/g, () => enc(segments[i++] ?? 'x'));
      const query = r.kind === 'hostile-query' ? r.hostileQuery : r.validQuery;
      const headers: Record<string, string> = r.role === 'anonymous' ? {} : { ...ctx.headers[r.role] };
      let payload: string | undefined;
      if (op.body !== undefined) {
        headers['content-type'] = op.body.contentType;
        payload = r.kind === 'hostile-body' ? r.hostileBody : r.validBody;
        if (r.kind === 'hostile-body' && r.omitBody) {
          payload = undefined;
          delete headers['content-type'];
        }
      } else if (r.kind === 'hostile-body') {
        headers['content-type'] = 'application/json';
        payload = r.hostileBody;
      }
      if (r.kind === 'hostile-content-type') {
        headers['content-type'] = r.hostileContentType;
        payload ??= r.validBody ?? '{}';
      }
      if (r.kind === 'hostile-headers') {
        // Header values cannot hold CR/LF/NUL on the wire; light-my-request refuses them too.
        const value = r.hostileHeaderValue.replace(/[\r\n]/g, '').replaceAll(String.fromCharCode(0), '');
        const target = r.role === 'anonymous' ? 'authorization' : (['accept', 'idempotency-key', 'x-request-id', 'if-none-match', 'authorization'] as const)[value.length % 5]!;
        headers[target] = target === 'authorization' && r.role !== 'anonymous' ? value || 'Bearer' : value;
        headers['x-forwarded-for'] = value.slice(0, 200);
      }
      return { kind: r.kind, role: r.role, method: op.method, url: path + encodeQuery(query), headers, ...(payload !== undefined && { payload }) };
    });
}

function csvFrom(v: Json): string {
  return typeof v === 'string' ? v : 'iccid,label\n8988280666000000019,fuzz\n';
}

// ---------------------------------------------------------------------------------------------
// State fingerprint

/**
 * What may legitimately change on a refused request: the bookkeeping of authentication itself
 * (an API key's last use, which touches its updated_at) and the audit trail of the refusal
 * (audit rows with outcome `failure` or `denied` - recording refused attempts is by design).
 */
const VOLATILE_COLUMNS: Record<string, string[]> = { api_keys: ['last_used_at', 'updated_at'] };
const ROW_FILTERS: Record<string, string> = { audit_log: "where t.outcome = 'success'" };

export async function fingerprint(t: TestApp): Promise<Map<string, string>> {
  // Work an earlier request set off after its answer (alert and anomaly evaluation of the SIMs it
  // touched, coalesced for 250 ms) settles first, so it is not charged to the request measured next.
  await t.deps.alertTrigger.flush();
  const db = t.deps.database.db;
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const parts = tables.rows.map(({ table_name }) => {
    const row = sql.raw(`(to_jsonb(t)${(VOLATILE_COLUMNS[table_name] ?? []).map((c) => ` - '${c}'`).join('')})::text`);
    return sql`select ${table_name}::text as name, md5(coalesce(string_agg(${row}, ',' order by ${row}), '')) as digest from ${sql.table(table_name)} t ${sql.raw(ROW_FILTERS[table_name] ?? '')}`;
  });
  const result = await sql<{ name: string; digest: string }>`${sql.join(parts, sql` union all `)}`.execute(db);
  return new Map(result.rows.map((r) => [r.name, r.digest]));
}

function changedTables(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
}

// ---------------------------------------------------------------------------------------------
// The run

const PROBLEM_CODE = /^[a-z][a-z0-9_]*$/;

export interface RunOptions {
  seed: number;
  /** Requests per operation. */
  runsPerOperation: number;
  knownIssues?: KnownIssue[];
}

export async function fuzzRoutes(ctx: FuzzContext, options: RunOptions): Promise<{ findings: Finding[]; stats: FuzzStats; known: Finding[]; undocumented: Finding[] }> {
  const { t } = ctx;
  const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<Schema & { paths: Record<string, Record<string, Schema>> }>();
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi.json');
  const validators = new Map<string, ValidateFunction | null>();
  const validatorFor = (op: Operation, status: number, contentType: string): ValidateFunction | null => {
    const key = `${op.key} ${status} ${contentType}`;
    if (!validators.has(key)) {
      const response = op.responses[String(status)];
      const schema = response?.content?.[contentType]?.schema;
      const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
      validators.set(key, schema === undefined ? null : ajv.compile({ $ref: `openapi.json${op.pointer}/responses/${status}/content/${esc(contentType)}/schema` }));
    }
    return validators.get(key)!;
  };

  const operations = operationsOf(doc);
  const stats: FuzzStats = {
    operations: operations.length,
    requests: 0,
    byKind: { valid: 0, 'hostile-path': 0, 'hostile-query': 0, 'hostile-body': 0, 'hostile-headers': 0, 'hostile-content-type': 0 },
    byRole: { anonymous: 0, viewer: 0, operator: 0, admin: 0 },
    byStatusClass: {},
    fingerprints: 0,
    schemaChecks: 0,
  };
  const findings: Finding[] = [];
  const known: Finding[] = [];
  const undocumented: Finding[] = [];
  const isKnown = (f: Finding) => options.knownIssues?.some((k) => k.operation === f.operation && k.invariant === f.invariant && (k.detail === undefined || k.detail === f.detail)) === true;
  const record = (f: Finding) => (isKnown(f) ? known : findings).push(f);

  for (const [index, op] of operations.entries()) {
    // The fuzzer's own document and metrics are read-only and large; one request each is enough.
    const runs = op.path === '/openapi.json' || op.path.endsWith('/metrics') ? 2 : options.runsPerOperation;
    const samples = fc.sample(requestFor(doc, op, ctx), { seed: options.seed + index, numRuns: runs });
    for (const request of samples) {
      stats.requests++;
      stats.byKind[request.kind]++;
      stats.byRole[request.role]++;
      const unsafe = request.method !== 'GET';
      const before = unsafe ? await fingerprint(t) : undefined;
      let response;
      try {
        response = await send(t, request);
      } catch (error) {
        record({ operation: op.key, invariant: 'no_5xx', status: 0, detail: `inject threw: ${String(error)}`, request });
        continue;
      }
      const status = response.statusCode;
      const statusClass = `${Math.floor(status / 100)}xx`;
      stats.byStatusClass[statusClass] = (stats.byStatusClass[statusClass] ?? 0) + 1;
      const contentType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim();
      const documented = op.responses[String(status)] !== undefined;

      if (status >= 500 && !([502, 503, 504].includes(status) && documented)) {
        record({ operation: op.key, invariant: 'no_5xx', status, detail: response.body.slice(0, 300), request });
      }
      if (!documented && status !== 429 && status < 500) {
        // Kept apart from the other findings so the test can name them separately (429 depends on timing).
        undocumented.push({ operation: op.key, invariant: 'documented_status', status, detail: response.body.slice(0, 200), request });
      }
      if (status >= 400) {
        let problem: { code?: unknown; status?: unknown } | undefined;
        try {
          problem = JSON.parse(response.body) as typeof problem;
        } catch {
          problem = undefined;
        }
        if (contentType !== 'application/problem+json' || typeof problem?.code !== 'string' || !PROBLEM_CODE.test(problem.code) || problem.status !== status) {
          record({ operation: op.key, invariant: 'problem_json', status, detail: `${contentType} ${response.body.slice(0, 200)}`, request });
        }
      }
      if (before !== undefined && status >= 400 && status < 500) {
        stats.fingerprints++;
        const after = await fingerprint(t);
        const changed = changedTables(before, after);
        if (changed.length > 0) record({ operation: op.key, invariant: 'refusal_changes_nothing', status, detail: `changed: ${changed.join(', ')}`, request });
      }
      if (status >= 200 && status < 300 && contentType.endsWith('json') && response.body.length > 0) {
        const validate = validatorFor(op, status, 'application/json');
        if (validate !== null) {
          stats.schemaChecks++;
          if (!validate(JSON.parse(response.body))) {
            record({ operation: op.key, invariant: 'response_schema', status, detail: ajv.errorsText(validate.errors).slice(0, 300), request });
          }
        }
      }
    }
  }
  return { findings, stats, known, undocumented };
}

/**
 * Sends one request. A text/event-stream answer never ends by itself (the live-updates stream),
 * so every response is read as a stream: a streamed 200 is closed after its head, anything else
 * is read to the end as usual.
 */
async function send(t: TestApp, request: FuzzRequest): Promise<{ statusCode: number; headers: Record<string, string | string[] | number | undefined>; body: string }> {
  const response = await t.app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    payloadAsStream: true,
    ...(request.payload !== undefined && { payload: request.payload }),
  });
  const stream = response.stream();
  const contentType = response.headers['content-type'];
  if (typeof contentType === 'string' && contentType.startsWith('text/event-stream')) {
    stream.destroy();
    return { statusCode: response.statusCode, headers: response.headers, body: '' };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return { statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') };
}

/** A short, stable rendering of a finding for assertion messages and the fuzz script. */
export function describeFinding(f: Finding): string {
  const payload = f.request.payload === undefined ? '' : ` body=${JSON.stringify(f.request.payload.slice(0, 120))}`;
  const id = createHash('sha1').update(JSON.stringify(f.request)).digest('hex').slice(0, 8);
  return `[${f.invariant}] ${f.operation} -> ${f.status} as ${f.request.role} (${f.request.kind}, #${id}) ${f.request.method} ${f.request.url.slice(0, 160)}${payload} :: ${f.detail}`;
}
