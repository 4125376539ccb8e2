import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../../src/http/error-handler.js';
import { installBodyBudget, type BodyBudget } from '../../src/http/body-budget.js';

/** A route that holds each request until the test lets it go, behind a 1,000-byte budget. */
async function heldApp(limitBytes = 1_000) {
  let refused = 0;
  const app = Fastify({ logger: false });
  installErrorHandling(app);
  const waiting: Array<() => void> = [];
  let budget: BodyBudget | undefined;
  await app.register(async (scoped) => {
    budget = installBodyBudget(scoped, { limitBytes, unannouncedBytes: 800, onRefused: () => (refused += 1) });
    scoped.post('/in', async () => {
      await new Promise<void>((resolve) => waiting.push(resolve));
      return { ok: true };
    });
  });
  await app.register(async (other) => {
    other.post('/other', async () => ({ ok: true }));
  });
  await app.ready();
  const post = (url: string, bytes: number) => app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify('x'.repeat(Math.max(0, bytes - 2))) });
  const until = async (count: number) => {
    while (waiting.length < count) await new Promise((resolve) => setImmediate(resolve));
  };
  return { app, waiting, budget: budget!, post, until, refused: () => refused };
}

describe('in-flight body budget', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers 503 with Retry-After past the budget and admits again once bytes are released', async () => {
    const t = await heldApp();
    app = t.app;
    const first = t.post('/in', 600);
    await t.until(1);
    expect(t.budget.inflightBytes).toBe(600);

    const refused = await t.post('/in', 600);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ status: 503, code: 'ingest_busy' });
    expect(t.budget.inflightBytes).toBe(600);
    expect(t.refused()).toBe(1);

    // A small one still fits beside the first.
    const small = t.post('/in', 300);
    await t.until(2);
    expect(t.budget.inflightBytes).toBe(900);
    // Routes outside the plugin are not counted.
    expect((await t.post('/other', 5_000)).statusCode).toBe(200);

    t.waiting.splice(0).forEach((go) => go());
    expect((await first).statusCode).toBe(200);
    expect((await small).statusCode).toBe(200);
    expect(t.budget.inflightBytes).toBe(0);
    const again = t.post('/in', 600);
    await t.until(1);
    t.waiting.splice(0).forEach((go) => go());
    expect((await again).statusCode).toBe(200);
    expect(t.budget.inflightBytes).toBe(0);
  });

  it('admits a body larger than the whole budget when nothing else is in flight', async () => {
    const t = await heldApp();
    app = t.app;
    const big = t.post('/in', 5_000);
    await t.until(1);
    expect(t.budget.inflightBytes).toBe(5_000);
    expect((await t.post('/in', 10)).statusCode).toBe(503);
    expect(t.refused()).toBe(1);
    t.waiting.splice(0).forEach((go) => go());
    expect((await big).statusCode).toBe(200);
    expect(t.budget.inflightBytes).toBe(0);
  });

  it('releases the reservation of a request that failed', async () => {
    const app2 = Fastify({ logger: false });
    installErrorHandling(app2);
    let budget: BodyBudget | undefined;
    await app2.register(async (scoped) => {
      budget = installBodyBudget(scoped, { limitBytes: 1_000, unannouncedBytes: 800 });
      scoped.post('/fail', async () => {
        throw new Error('boom');
      });
    });
    app = app2;
    const response = await app2.inject({ method: 'POST', url: '/fail', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(response.statusCode).toBe(500);
    expect(budget!.inflightBytes).toBe(0);
    const malformed = await app2.inject({ method: 'POST', url: '/fail', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expect(malformed.statusCode).toBe(400);
    expect(budget!.inflightBytes).toBe(0);
  });
});
