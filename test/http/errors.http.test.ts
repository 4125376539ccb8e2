import type { InjectOptions } from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { NotFound, ProviderBadGateway } from '../../src/errors.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';

/** The real app plus a few probe routes that exercise bodies, queries and thrown errors. */
async function buildProbeApp(t: TestApp): Promise<App> {
  const app = await buildApp(t.deps);
  app.post(
    '/_probe',
    {
      config: { policy: 'public' },
      schema: {
        body: Type.Object({ name: Type.String(), count: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      },
    },
    () => ({ ok: true }),
  );
  app.get(
    '/_probe',
    { config: { policy: 'public' }, schema: { querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1 })) }) } },
    () => ({ ok: true }),
  );
  app.get('/_probe/missing', { config: { policy: 'public' } }, () => {
    throw new NotFound('sim', '8988280666000000001');
  });
  app.get('/_probe/upstream', { config: { policy: 'public' } }, () => {
    throw new ProviderBadGateway('1NCE answered with an HTML page', { operation: 'getSim', upstream_status: 503 });
  });
  app.get('/_probe/bug', { config: { policy: 'public' } }, () => {
    throw new Error('secret internals: password=hunter2');
  });
  await app.ready();
  return app;
}

describe('problem+json errors', () => {
  let t: TestApp;
  let app: App;

  beforeAll(async () => {
    t = await buildTestApp({ env: { BODY_LIMIT_BYTES: '2048' } });
    app = await buildProbeApp(t);
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  it('answers unknown routes with a 404 problem document', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      type: 'urn:simfleet:problem:route_not_found',
      title: 'Not found',
      status: 404,
      code: 'route_not_found',
      instance: '/api/v1/nope',
    });
    expect(res.json().request_id).toBe(res.headers['x-request-id']);
  });

  it('reuses a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const kept = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id <script>' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    {
      name: 'invalid JSON',
      req: { method: 'POST', url: '/_probe', headers: { 'content-type': 'application/json' }, payload: '{"a":' },
      status: 400,
      code: 'invalid_json',
    },
    {
      name: 'unsupported content type',
      req: { method: 'POST', url: '/_probe', headers: { 'content-type': 'application/x-unknown' }, payload: 'x' },
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'oversized body',
      req: {
        method: 'POST',
        url: '/_probe',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'x'.repeat(5000), count: 1 }),
      },
      status: 413,
      code: 'payload_too_large',
    },
    { name: 'wrong types', req: { method: 'POST', url: '/_probe', payload: { name: 5, count: 'many' } }, status: 400, code: 'validation_failed' },
    {
      name: 'unknown property',
      req: { method: 'POST', url: '/_probe', payload: { name: 'a', count: 1, admin: true } },
      status: 400,
      code: 'validation_failed',
    },
    { name: 'bad query parameter', req: { method: 'GET', url: '/_probe?page=zero' }, status: 400, code: 'validation_failed' },
    {
      name: 'empty JSON body',
      req: { method: 'POST', url: '/_probe', headers: { 'content-type': 'application/json' }, payload: '' },
      status: 400,
      code: 'invalid_body',
    },
    {
      name: 'prototype poisoning',
      req: { method: 'POST', url: '/_probe', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"x":1},"name":"a","count":1}' },
      status: 400,
      code: 'invalid_json',
    },
  ] as const)('$name -> $status $code', async ({ req, status, code }) => {
    const res = await app.inject(req as InjectOptions);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, code, type: `urn:simfleet:problem:${code}` });
  });

  it('lists every field problem', async () => {
    const res = await app.inject({ method: 'POST', url: '/_probe', payload: { count: 0 } });
    expect(res.statusCode).toBe(400);
    const fields = (res.json().errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['body.count', 'body.name']);
  });

  it('maps domain errors to their status and code', async () => {
    const missing = await app.inject({ method: 'GET', url: '/_probe/missing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'not_found', detail: 'sim 8988280666000000001 not found', resource: 'sim' });
    const upstream = await app.inject({ method: 'GET', url: '/_probe/upstream' });
    expect(upstream.statusCode).toBe(502);
    expect(upstream.json()).toMatchObject({ code: 'provider_error', operation: 'getSim', upstream_status: 503 });
  });

  it('hides the details of unexpected errors behind a generic 500', async () => {
    const res = await app.inject({ method: 'GET', url: '/_probe/bug' });
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('internal_error');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toMatch(/\bat \S+:\d+/);
  });
});
