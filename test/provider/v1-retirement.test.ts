import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isRetirementSignal } from '../../src/provider/transport.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { activeSim, simulatorRequests, sweepFleet } from '../modules/sims/fixtures.js';

const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

describe('retirement signals', () => {
  const headers = (entries: Record<string, string> = {}) => new Headers(entries);
  it('reads 410 on any v1 path, 404 on a v1 path that names no resource, and 404 with Sunset as "gone"', () => {
    const usage = { path: '/v1/sims/8988228066602300000/usage', notFound: { resource: 'sim', id: '8988228066602300000' } };
    expect(isRetirementSignal(usage, { status: 410, headers: headers() })).toBe(true);
    expect(isRetirementSignal(usage, { status: 404, headers: headers() })).toBe(false);
    expect(isRetirementSignal(usage, { status: 404, headers: headers({ sunset: 'Thu, 31 Dec 2026 23:59:59 GMT' }) })).toBe(true);
    expect(isRetirementSignal({ path: '/v1/products' }, { status: 404, headers: headers() })).toBe(true);
    expect(isRetirementSignal({ path: '/v2/sims/1/usage' }, { status: 410, headers: headers() })).toBe(false);
    expect(isRetirementSignal({ path: '/v1/products' }, { status: 400, headers: headers() })).toBe(false);
  });

  it('parses the usage source settings and refuses an impossible combination', () => {
    expect(loadConfig({}).provider).toMatchObject({ usageSource: 'auto', usageV2Path: undefined });
    expect(loadConfig({ ONCE_USAGE_SOURCE: 'v2', ONCE_USAGE_V2_PATH: '/v2/sims/{iccid}/usage' }).provider.usageSource).toBe('v2');
    expect(() => loadConfig({ ONCE_USAGE_SOURCE: 'v2' })).toThrow(/ONCE_USAGE_SOURCE=v2 needs ONCE_USAGE_V2_PATH/);
    expect(() => loadConfig({ ONCE_USAGE_V2_PATH: '/v1/sims/usage' })).toThrow(/ONCE_USAGE_V2_PATH must be a \/v2\/ path/);
    expect(loadConfig({ SIMULATOR_V1_RETIRED: 'true' }).simulator.v1Retired).toBe(true);
  });
});

describe('Management API v1 retired (simulator SIMULATOR_V1_RETIRED)', () => {
  let t: TestApp;
  let operator: Record<string, string>;
  let admin: Record<string, string>;
  let iccid: string;

  beforeAll(async () => {
    t = await buildTestApp({ simulator: { fleetSize: 10, v1Retired: true }, env: { API_RATE_LIMIT_RPS: '100000' } });
    // The SIM list is v2: the fleet still syncs with v1 gone.
    await sweepFleet(t);
    operator = await authHeaders(t, 'operator');
    admin = await authHeaders(t, 'admin');
    ({ iccid } = await activeSim(t));
  }, 120_000);
  afterAll(async () => t.close());

  it('the simulator answers v1 paths 410 with a Sunset header and keeps v2', async () => {
    const v1 = await fetch(`${t.config.provider.apiUrl}/v1/products`);
    expect(v1.status).toBe(410);
    expect(v1.headers.get('sunset')).toBe('Thu, 31 Dec 2026 23:59:59 GMT');
    const sims = await t.app.inject({ method: 'GET', url: '/api/v1/sims', headers: operator });
    expect(sims.json<{ total: number }>().total).toBe(10);
  });

  it('answers usage sync with 501 provider_operation_retired, once asking 1NCE, then locally', async () => {
    const before = (await simulatorRequests(t))['GET /v1/sims/{iccid}/usage'] ?? 0;
    const sync = () => t.app.inject({ method: 'POST', url: `/api/v1/sims/${iccid}/usage/sync`, headers: operator, payload: { start_date: day(-5), end_date: day(0) } });
    const first = await sync();
    expect(first.statusCode).toBe(501);
    expect(first.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(first.json()).toMatchObject({ code: 'provider_operation_retired', operation: 'getUsage', path: '/v1/sims/{iccid}/usage' });
    expect(first.json<{ detail: string }>().detail).toContain('Data Streamer alone');
    for (let i = 0; i < 3; i++) expect((await sync()).statusCode).toBe(501);
    // One request reached 1NCE; the other three were answered from the record (no retry storm).
    expect((await simulatorRequests(t))['GET /v1/sims/{iccid}/usage']).toBe(before + 1);
  });

  it('the scheduled back-fill skips SIMs quietly instead of failing them', async () => {
    const result = await t.deps.fleet.usageSync.backfillUsage({ priority: 'background', limit: 5 });
    expect(result.failed).toBe(0);
    expect(result.retired).toBeGreaterThan(0);
    expect(result.synced).toBe(0);
  });

  it('other v1 features answer 501 too, never 500', async () => {
    const products = await t.app.inject({ method: 'GET', url: '/api/v1/products', headers: operator });
    expect(products.statusCode).toBe(501);
    expect(products.json()).toMatchObject({ code: 'provider_operation_retired', operation: 'listProducts' });
  });

  it('shows the retirement in readiness (still ready), scheduler status and metrics', async () => {
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    const degraded = ready.json<{ degraded?: string[] }>().degraded ?? [];
    expect(degraded.some((line) => line.includes('getUsage') && line.includes('Data Streamer alone'))).toBe(true);

    const status = await t.app.inject({ method: 'GET', url: '/api/v1/scheduler/status', headers: admin });
    expect(status.statusCode).toBe(200);
    const provider = status.json<{ provider: { usage_source: string; retired_operations: Array<{ operation: string; account_id: string }> } }>().provider;
    expect(provider.usage_source).toBe('auto');
    expect(provider.retired_operations.map((r) => r.operation)).toEqual(expect.arrayContaining(['getUsage', 'listProducts']));
    expect(provider.retired_operations.every((r) => r.account_id === t.accountId)).toBe(true);

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(new RegExp(`simfleet_provider_operation_retired\\{account="${t.accountId!}",operation="getUsage"\\} 1`));
    expect(metrics).toMatch(/simfleet_provider_retired_calls_total\{operation="getUsage"\} [1-9]/);
  });
});

describe('usage source set to the Data Streamer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ simulator: { fleetSize: 5 }, env: { ONCE_USAGE_SOURCE: 'streamer', API_RATE_LIMIT_RPS: '100000' } });
    await sweepFleet(t);
  }, 120_000);
  afterAll(async () => t.close());

  it('never polls usage and says why', async () => {
    const operator = await authHeaders(t, 'operator');
    const { iccid } = await activeSim(t);
    const before = (await simulatorRequests(t))['GET /v1/sims/{iccid}/usage'] ?? 0;
    const response = await t.app.inject({ method: 'POST', url: `/api/v1/sims/${iccid}/usage/sync`, headers: operator, payload: {} });
    expect(response.statusCode).toBe(501);
    expect(response.json<{ detail: string }>().detail).toContain('Data Streamer alone');
    expect((await simulatorRequests(t))['GET /v1/sims/{iccid}/usage'] ?? 0).toBe(before);
  });
});
