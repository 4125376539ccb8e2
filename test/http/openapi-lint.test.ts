import { readFileSync } from 'node:fs';
import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import spectralCore from '@stoplight/spectral-core';
import spectralParsers from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePolicies } from '../../src/http/auth/authenticate.hook.js';
import { documentedPath, operationIdFor } from '../../src/http/openapi.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';

const { Spectral, Document } = spectralCore;

/**
 * The document as third-party tools read it: Redocly's `recommended` ruleset and Spectral's
 * `spectral:oas` must report nothing beyond the exceptions below, each with its reason.
 */
const EXCEPTIONS: ReadonlyArray<{ tool: 'redocly' | 'spectral'; rule: string; where: RegExp; why: string }> = [
  {
    tool: 'redocly',
    rule: 'operation-4xx-response',
    where: /^#\/paths\/~1(health|health~1live|health~1ready|metrics|openapi\.json)\/get\/responses$/,
    why: 'probes, the metrics scrape and the document take no input and are outside the /api/v1 rate limit: no 4xx can happen, and documenting one would be false',
  },
  {
    tool: 'spectral',
    rule: 'info-contact',
    where: /^info$/,
    why: 'self-hosted software: the contact is whoever runs the installation, which the code cannot know',
  },
];

type Operation = {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  description?: string;
  responses: Record<string, { description: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
};
type OpenApi = {
  openapi: string;
  info: { license?: { name: string } };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
};

function operations(document: OpenApi): Array<{ method: string; path: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method, path, operation })),
  );
}

describe('OpenAPI document quality', () => {
  let t: TestApp;
  let source: string;
  let document: OpenApi;

  beforeAll(async () => {
    t = await buildTestApp({ backend: 'pglite' });
    const response = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    source = response.body;
    document = response.json<OpenApi>();
  }, 120_000);
  afterAll(async () => t.close());

  it('passes Redocly recommended with no errors or warnings beyond the documented exceptions', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });
    const excepted = (p: NormalizedProblem) =>
      EXCEPTIONS.some((e) => e.tool === 'redocly' && e.rule === p.ruleId && e.where.test(p.location[0]?.pointer ?? ''));
    const remaining = problems.filter((p) => !excepted(p)).map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(remaining).toEqual([]);
    // Each exception still matches something; a stale one must be removed.
    for (const e of EXCEPTIONS.filter((x) => x.tool === 'redocly')) {
      expect(problems.some((p) => p.ruleId === e.rule), e.rule).toBe(true);
    }
  }, 120_000);

  it('passes spectral:oas with no errors or warnings beyond the documented exceptions', async () => {
    const spectral = new Spectral();
    spectral.setRuleset({ extends: [[oas as never, 'recommended']] });
    const results = await spectral.run(new Document(source, spectralParsers.Json, 'openapi.json'));
    const excepted = (code: string | number, path: string) =>
      EXCEPTIONS.some((e) => e.tool === 'spectral' && e.rule === String(code) && e.where.test(path));
    const remaining = results
      .filter((r) => Number(r.severity) <= 1 && !excepted(r.code, r.path.join('.')))
      .map((r) => `${Number(r.severity) === 0 ? 'error' : 'warn'} ${r.code}: ${r.message} at ${r.path.join('.')}`);
    expect(remaining).toEqual([]);
    for (const e of EXCEPTIONS.filter((x) => x.tool === 'spectral')) {
      expect(results.some((r) => String(r.code) === e.rule), e.rule).toBe(true);
    }
  }, 120_000);

  it('gives every operation a unique camelCase operationId, stable for known routes', () => {
    const ids = operations(document).map(({ operation }) => operation.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    const idOf = (method: string, path: string) => document.paths[path]?.[method]?.operationId;
    expect(idOf('get', '/api/v1/sims')).toBe('listSims');
    expect(idOf('get', '/api/v1/sims/{iccid}')).toBe('getSim');
    expect(idOf('patch', '/api/v1/sims/{iccid}')).toBe('updateSim');
    expect(idOf('post', '/api/v1/sims/{iccid}/usage/sync')).toBe('syncSimUsage');
    expect(idOf('post', '/api/v1/auth/login')).toBe('login');
    expect(idOf('post', '/api/v1/bulk-jobs')).toBe('createBulkJob');
    expect(idOf('post', '/api/v1/streams/1nce')).toBe('ingestDataStreamerBatch');
  });

  it('derives ids deterministically from method and path', () => {
    expect(operationIdFor('GET', '/api/v1/fleet/summary')).toBe('getFleetSummary');
    expect(operationIdFor('GET', '/api/v1/widgets/', { type: 'array' })).toBe('listWidgets');
    expect(operationIdFor('POST', '/api/v1/alert-rules')).toBe('createAlertRule');
    expect(operationIdFor('DELETE', '/api/v1/bulk-jobs/:id')).toBe('deleteBulkJob');
    expect(operationIdFor('POST', '/api/v1/sims/:iccid/connectivity/reset')).toBe('resetSimConnectivity');
    expect(operationIdFor('POST', '/api/v1/support/tickets/sync')).toBe('syncSupportTickets');
    expect(documentedPath('/api/v1/sims/:iccid/')).toBe('/api/v1/sims/{iccid}');
  });

  it('declares every used tag with a description, a licence and servers', () => {
    const declared = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description]));
    for (const { operation } of operations(document)) {
      for (const tag of operation.tags ?? []) expect(declared.get(tag), `tag ${tag}`).toBeTruthy();
    }
    expect(document.info.license?.name).toBe('Apache-2.0');
    expect(document.servers?.length).toBeGreaterThan(0);
  });

  it('documents errors as application/problem+json and no response as "Default Response"', () => {
    let problems = 0;
    for (const { method, path, operation } of operations(document)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.description, `${method} ${path} ${status}`).not.toMatch(/^(Default Response|RFC 9457 problem details)$/);
        if (!/^[45]/.test(status) || response.content === undefined) continue;
        const types = Object.keys(response.content);
        if (types.includes('application/problem+json')) problems += 1;
        // The readiness probe's 503 is its JSON report, not a problem document.
        if (path !== '/health/ready') expect(types, `${method} ${path} ${status}`).toEqual(['application/problem+json']);
      }
    }
    expect(problems).toBeGreaterThan(200);
    const exportErrors = document.paths['/api/v1/sims/export']!.get!.responses['400']!;
    expect(Object.keys(exportErrors.content!)).toEqual(['application/problem+json']);
  });

  it('says security: [] on public operations, HTTP Basic on the streamer, bearer or key elsewhere', () => {
    const streamer = document.paths['/api/v1/streams/1nce']!.post!;
    expect(streamer.security).toEqual([{ streamerBasic: [] }]);
    expect(Object.keys(streamer.responses['401']!.headers ?? {})).toContain('WWW-Authenticate');
    // The console's pages and assets (GET /, /*, /assets/*) are the browser app, not API operations: hidden from the document.
    // /mcp speaks JSON-RPC (MCP over Streamable HTTP, docs/mcp.md), not REST: hidden as well.
    const consoleRoute = (url: string) => url === '/' || url === '/*' || url.startsWith('/assets/') || url === '/mcp';
    for (const route of routePolicies(t.app).filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs') && !consoleRoute(r.url))) {
      const operation = document.paths[documentedPath(route.url)]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url}`).toBeDefined();
      const expected = route.policy === 'public' ? [] : route.policy === 'streamer' ? [{ streamerBasic: [] }] : [{ bearerAuth: [] }, { apiKey: [] }];
      expect(operation!.security, `${route.method} ${route.url}`).toEqual(expected);
    }
  });

  it('documents /metrics as Prometheus text, /openapi.json as JSON and the NDJSON export line schema', async () => {
    const metrics = document.paths['/metrics']!.get!.responses['200']!;
    expect(Object.keys(metrics.content!)).toEqual(['text/plain; version=0.0.4']);
    const scrape = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(Object.keys(document.paths['/openapi.json']!.get!.responses['200']!.content!)).toEqual(['application/json']);
    const ndjson = document.paths['/api/v1/sims/export']!.get!.responses['200']!.content!['application/x-ndjson'] as {
      'x-item-schema': { properties: Record<string, unknown> };
    };
    expect(Object.keys(ndjson['x-item-schema'].properties)).toEqual(expect.arrayContaining(['iccid', 'status', 'tags']));
  });

  it('answers a failed Data Streamer login with a Basic challenge, as documented', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/streams/1nce', payload: [] });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm="simfleet data streamer"/);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/sims' });
    expect(api.headers['www-authenticate']).toBe('Bearer, ApiKey');
  });

  it('generates TypeScript types with openapi-typescript', async () => {
    const types = astToString(await openapiTS(JSON.parse(source) as never));
    expect(types).toContain('listSims: {');
    expect(types).toContain('"application/problem+json": components["schemas"]["Problem"]');
    // The console's copy (`npm run web:api-types`) is these types: a route changed without
    // regenerating it leaves the console compiling against an API that no longer exists.
    const committed = readFileSync(new URL('../../web/src/api/schema.d.ts', import.meta.url), 'utf8');
    expect(committed.slice(committed.indexOf('export interface paths'))).toBe(types.slice(types.indexOf('export interface paths')));
  }, 120_000);
});
