import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { activeSim, sweptFleetApp } from '../modules/sims/fixtures.js';
import { describeFinding, fuzzRoutes, type KnownIssue } from './openapi-fuzz.js';

/**
 * Route fuzzing from the app's own /openapi.json in `npm test`: a fixed seed and a small budget per
 * operation. `npm run fuzz` runs the same property with more requests and any seed
 * (FUZZ_RUNS, FUZZ_SEED). See docs/reliability.md.
 *
 * No success path is skipped: path ids are random (404) except one real ICCID, so the fuzzer can
 * change that SIM (label, status, SMS, top-up at the simulator) but never deletes its own users,
 * keys or the provider account.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10);

/** Findings accepted for now, each with the reason (empty means every invariant holds). */
const KNOWN_ISSUES: KnownIssue[] = [
  {
    operation: 'POST /api/v1/orders',
    invariant: 'refusal_changes_nothing',
    detail: 'changed: order_items, orders',
    reason:
      'By design an order is written (REQUESTED) before 1NCE is asked, so a crash can never lose a placed, invoiced order; ' +
      'when 1NCE certainly refuses it (4xx, e.g. an unknown product) the row stays as FAILED, documented in docs/fleet-operations.md. ' +
      'Removing refused attempts instead is a product decision for the orders owner (reported).',
  },
];

describe.each(backends)('route fuzzing from /openapi.json (%s)', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await sweptFleetApp(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it(`keeps every invariant for every operation x role (seed ${SEED}, ${RUNS} requests per operation)`, async () => {
    const headers = {
      viewer: await authHeaders(t, 'viewer'),
      operator: await authHeaders(t, 'operator'),
      admin: await authHeaders(t, 'admin'),
    };
    const { iccid } = await activeSim(t);
    const { findings, stats, known, undocumented } = await fuzzRoutes({ t, headers, iccid }, { seed: SEED, runsPerOperation: RUNS, knownIssues: KNOWN_ISSUES });
    console.info(`route fuzzing (${backend}): ${JSON.stringify(stats)}; known issues hit: ${known.length}`);
    expect(stats.operations).toBeGreaterThan(80);
    expect(stats.byRole.anonymous * stats.byRole.viewer * stats.byRole.operator * stats.byRole.admin).toBeGreaterThan(0);
    expect(stats.byStatusClass['2xx']).toBeGreaterThan(0);
    expect(stats.schemaChecks).toBeGreaterThan(0);
    expect(findings.map(describeFinding)).toEqual([]);
    // Every status a request met is in the document (framework answers are added centrally in src/http/openapi.ts).
    expect(undocumented.map(describeFinding)).toEqual([]);
  }, Math.max(240_000, RUNS * 30_000));
});

describe('route fuzzing regressions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers an over-long path parameter with problem+json 414, not a bare Fastify error', async () => {
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${'x'.repeat(300)}/connectivity/resets/1` });
    expect(response.statusCode).toBe(414);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 414, code: 'uri_too_long' });
  });

  it('answers a malformed URL with problem+json 400', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/sims/%E0%A4%A' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 400, code: 'bad_url' });
  });
});
