import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';

describe('OpenAPI, docs and metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/health/live', '/health/ready', '/metrics']));
    expect(doc.paths['/health/ready'].get.responses).toHaveProperty('503');
    expect(doc.components.securitySchemes).toHaveProperty('apiKey');
    expect(doc.components.schemas).toHaveProperty('Problem');
  });

  it('serves interactive docs at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('exposes Prometheus metrics labelled by route template, never the raw path', async () => {
    await t.app.inject({ method: 'GET', url: '/health/ready' });
    await t.deps.database.db.selectFrom('users').select('id').execute();
    await t.app.inject({ method: 'GET', url: '/api/v1/sims/8988280666000000001/no-such-thing' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toMatch(/simfleet_http_requests_total\{method="GET",route="\/health\/ready",status_code="200"\} 1/);
    expect(text).toContain('route="__unmatched__",status_code="404"');
    expect(text).not.toContain('8988280666000000001');
    expect(text).toContain('simfleet_http_request_duration_seconds_bucket');
    expect(text).toContain('simfleet_http_requests_in_flight');
    expect(text).toMatch(/simfleet_db_query_duration_seconds_count\{operation="select",outcome="ok"\} \d+/);
    expect(text).toMatch(/simfleet_db_pool_connections\{state="total"\} 1/);
    expect(text).toContain('process_cpu_user_seconds_total');
    const same = await t.app.inject({ method: 'GET', url: '/api/v1/metrics' });
    expect(same.statusCode).toBe(200);
    expect(same.body).toContain('simfleet_http_requests_total');
  });
});
