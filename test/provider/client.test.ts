import { describe, expect, it } from 'vitest';
import { createProviderClient, type ProviderClientOptions } from '../../src/provider/client.js';
import {
  ProviderAuthError,
  ProviderBadResponse,
  ProviderNotFound,
  ProviderRateLimited,
  ProviderRejected,
  ProviderTimeout,
  ProviderUnavailable,
  SimExpired,
} from '../../src/provider/errors.js';
import { backoffDelay, isRetryable, parseRetryAfter, planRetry, type FailureKind } from '../../src/provider/retry.js';
import { createFakeFetch, networkError, testMetrics } from './fake-fetch.js';

const ICCID = '8988228066602300001';
const SIM = { iccid: ICCID, status: 'Enabled', activation_date: '2021-08-26T12:13:06.000+0000', current_quota: 500 };
const HTML_503 = '<html><head><title>503 Service Unavailable</title></head><body>down</body></html>';

function setup(overrides: Partial<ProviderClientOptions> = {}) {
  const fake = createFakeFetch();
  const m = testMetrics();
  const client = createProviderClient({
    baseUrl: 'http://1nce.test/management-api/',
    clientId: 'client-id',
    clientSecret: 'super-secret-value',
    accountKey: 'acct-1',
    timeoutMs: 200,
    fetch: fake.fetch,
    metrics: m.metrics,
    retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
    limits: { sims: { limit: 1000, windowMs: 1000, burst: 10 }, orders: { limit: 1000, windowMs: 1000, burst: 10 } },
    ...overrides,
  });
  return { fake, client, ...m };
}

describe('retry policy (pure)', () => {
  it('retries everything transient for idempotent calls', () => {
    const kinds: FailureKind[] = ['rate_limited', 'server_error', 'network_not_sent', 'network', 'timeout', 'bad_response'];
    for (const kind of kinds) expect(isRetryable(kind, true)).toBe(true);
  });

  it('retries non-idempotent calls only when 1NCE provably did not process them', () => {
    expect(isRetryable('rate_limited', false)).toBe(true);
    expect(isRetryable('network_not_sent', false)).toBe(true);
    for (const kind of ['server_error', 'network', 'timeout', 'bad_response'] as const) expect(isRetryable(kind, false)).toBe(false);
  });

  it('uses full jitter under an exponential ceiling, bounded by maxAttempts, with Retry-After as a floor', () => {
    const options = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, options, () => 0.999)).toBe(99);
    expect(backoffDelay(3, options, () => 0.999)).toBe(399);
    expect(backoffDelay(10, options, () => 0.999)).toBe(999);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
    expect(planRetry('server_error', 4, true, options)).toBeNull();
    expect(planRetry('server_error', 1, false, options)).toBeNull();
    expect(planRetry('rate_limited', 1, false, options, 2000, () => 0.5)).toBe(2000);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('client over a scripted 1NCE', () => {
  it('sends Bearer auth to v2 paths and decodes the SIM', async () => {
    const { fake, client } = setup();
    fake.script(`GET /v2/sims/${ICCID}`, { status: 200, body: SIM });
    const sim = await client.getSim(ICCID);
    expect(sim).toMatchObject({ iccid: ICCID, state: 'enabled', dataQuotaBytes: 524_288_000 });
    const call = fake.calls.find((c) => c.path === `/v2/sims/${ICCID}`)!;
    expect(call.headers.authorization).toBe('Bearer token-1');
    const token = fake.calls.find((c) => c.path === '/oauth/token')!;
    expect(token.headers.authorization).toBe(`Basic ${Buffer.from('client-id:super-secret-value').toString('base64')}`);
    expect(JSON.parse(token.body!)).toEqual({ grant_type: 'client_credentials' });
  });

  it('retries a GET through 5xx, an HTML 503, malformed JSON and a reset connection', async () => {
    const { fake, client, value } = setup();
    fake.script(
      `GET /v2/sims/${ICCID}`,
      { status: 500, body: { error_code: 1000, error_token: 'InternalServerError', message: 'boom' } },
      { status: 503, body: HTML_503, headers: { 'content-type': 'text/html' } },
      { status: 200, body: '{"iccid": "89' },
      { status: 200, body: SIM },
    );
    expect((await client.getSim(ICCID)).iccid).toBe(ICCID);
    expect(fake.count(`GET /v2/sims/${ICCID}`)).toBe(4);
    expect(await value('simfleet_provider_retries_total', { operation: 'getSim', reason: 'server_error' })).toBe(2);
    expect(await value('simfleet_provider_retries_total', { operation: 'getSim', reason: 'bad_response' })).toBe(1);
  });

  it('gives up after maxAttempts with a typed 503 that names the operation', async () => {
    const { fake, client } = setup();
    fake.script(`GET /v2/sims/${ICCID}/status`, { status: 503, body: HTML_503, headers: { 'content-type': 'text/html' } });
    const error = await client.getConnectivity(ICCID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnavailable);
    expect(error).toMatchObject({ status: 503, code: 'provider_unavailable', extensions: { operation: 'getConnectivity', upstreamStatus: 503 } });
    expect((error as Error).message).toContain('503 Service Unavailable');
    expect(fake.count(`GET /v2/sims/${ICCID}/status`)).toBe(4);
  });

  it('never retries an SMS send after a 5xx or a timeout, and says the outcome is unknown', async () => {
    const { fake, client } = setup();
    fake.script(`POST /v2/sims/${ICCID}/sms`, { status: 502, body: 'Bad Gateway' });
    const error = await client.sendSms(ICCID, { payload: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnavailable);
    expect(error).toMatchObject({ extensions: { mayHaveBeenProcessed: true, upstreamStatus: 502 } });
    expect(fake.count(`POST /v2/sims/${ICCID}/sms`)).toBe(1);

    fake.script(`POST /v2/sims/${ICCID}/sms`, { hang: true });
    const timeout = await client.sendSms(ICCID, { payload: 'hi' }).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(ProviderTimeout);
    expect(timeout).toMatchObject({ status: 504, extensions: { mayHaveBeenProcessed: true } });
    expect(fake.count(`POST /v2/sims/${ICCID}/sms`)).toBe(2);

    fake.script(`POST /v1/sims/topup`, { throws: networkError('ECONNRESET') });
    await expect(client.topUpMany([ICCID])).rejects.toBeInstanceOf(ProviderUnavailable);
    expect(fake.count('POST /v1/sims/topup')).toBe(1);
  });

  it('retries an SMS send on 429 (honouring Retry-After) and on a refused connection', async () => {
    const { fake, client, value } = setup();
    fake.script(
      `POST /v2/sims/${ICCID}/sms`,
      { status: 429, body: { message: 'Too Many Requests' }, headers: { 'retry-after': '0.15' } },
      { throws: networkError('ECONNREFUSED') },
      { status: 201, body: { id: '7363280' } },
    );
    const started = performance.now();
    await expect(client.sendSms(ICCID, { payload: 'hi', dcs: 0 })).resolves.toEqual({ id: '7363280' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(fake.count(`POST /v2/sims/${ICCID}/sms`)).toBe(3);
    expect(await value('simfleet_provider_rate_limited_total', { family: 'sims' })).toBe(1);
    expect(JSON.parse(fake.calls.at(-1)!.body!)).toEqual({ payload: 'hi', dcs: 0 });
  });

  it('reports persistent 429s as ProviderRateLimited with Retry-After', async () => {
    const { fake, client } = setup({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    fake.script('GET /v2/sims', { status: 429, body: '', headers: { 'retry-after': '0' } });
    const error = await client.listSimsPage(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderRateLimited);
    expect(error).toMatchObject({ status: 503, code: 'provider_rate_limited', headers: { 'retry-after': '1' } });
  });

  it('reads the SMS id from Location when there is no body', async () => {
    const { fake, client } = setup();
    fake.script(`POST /v2/sims/${ICCID}/sms`, { status: 201, headers: { location: `https://bss-global.api.1nce.com/internal-global-api/v1/sims/${ICCID}/sms/99` } });
    await expect(client.sendSms(ICCID, { payload: 'x' })).resolves.toEqual({ id: '99' });
  });

  it('on a 401 refreshes the token once and resends; a second 401 is an auth error', async () => {
    const { fake, client, value } = setup();
    const spring401 = { status: 401, body: { timestamp: '2021-11-14T19:12:43.315+0000', status: 401, error: 'Unauthorized', message: 'The token is invalid', path: '/internal-global-api/v1/sims' } };
    fake.script(`GET /v2/sims/${ICCID}`, spring401, { status: 200, body: SIM });
    await expect(client.getSim(ICCID)).resolves.toMatchObject({ iccid: ICCID });
    expect(fake.count('POST /oauth/token')).toBe(2);
    expect(fake.calls.filter((c) => c.path === `/v2/sims/${ICCID}`).map((c) => c.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);

    fake.script(`GET /v2/sims/${ICCID}/quota/data`, spring401);
    const error = await client.getDataQuota(ICCID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderAuthError);
    expect(error).toMatchObject({ status: 502, code: 'provider_auth_failed' });
    expect(fake.count(`GET /v2/sims/${ICCID}/quota/data`)).toBe(2);
    expect(await value('simfleet_provider_retries_total', { operation: 'getSim', reason: 'unauthorized' })).toBe(1);
  });

  it('maps not-found (404 and empty 200), expired and rejected answers to typed errors', async () => {
    const { fake, client } = setup();
    fake.script(`GET /v2/sims/${ICCID}`, { status: 200 });
    await expect(client.getSim(ICCID)).rejects.toMatchObject({ status: 404, code: 'sim_not_found_at_provider' });
    fake.script(`GET /v2/sims/${ICCID}/quota/sms`, { status: 404, body: { error_code: 1000, error_token: 'NotFound', message: 'SIM not found' } });
    const notFound = await client.getSmsQuota(ICCID).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ProviderNotFound);
    expect(notFound).toMatchObject({ extensions: { operation: 'getSmsQuota', upstreamStatus: 404, upstreamCode: 'NotFound' } });

    fake.script(`PUT /v2/sims/${ICCID}`, { status: 422, body: { message: 'The following SIMs are expired and cannot be modified via API.' } });
    const expired = await client.updateSim(ICCID, { label: 'x' }).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(SimExpired);
    expect(expired).toMatchObject({ status: 422, code: 'sim_expired' });

    // A bulk update's 422 names every expired SIM, however long the list (the problem's message is clipped).
    const many = Array.from({ length: 30 }, (_, i) => `89882806660000${String(i).padStart(5, '0')}`);
    fake.script('POST /v1/sims', {
      status: 422,
      body: { timestamp: '2026-01-01T00:00:00.000+0000', status: 422, error: 'Unprocessable Entity', message: `The following SIMs are expired and cannot be modified via API. Only extensions are permitted: ${many.join(', ')}`, path: '/v1/sims' },
    });
    const bulkExpired = await client.bulkUpdateSims(many.map((iccid) => ({ iccid, label: 'x' }))).catch((e: unknown) => e);
    expect(bulkExpired).toBeInstanceOf(SimExpired);
    expect((bulkExpired as SimExpired).iccids).toEqual(many);

    fake.script(`POST /v2/sims/${ICCID}/topup`, { status: 400, body: { message: 'Payment method used is not valid.' } });
    const rejected = await client.topUp(ICCID, { paymentMethod: 'boleto' }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(ProviderRejected);
    expect(rejected).toMatchObject({ status: 400, code: 'provider_rejected' });
    expect((rejected as Error).message).toContain('Payment method used is not valid.');
    expect(fake.calls.at(-1)!.url).toContain('payment_method=boleto');
    expect(fake.count(`POST /v2/sims/${ICCID}/topup`)).toBe(1);

    fake.script(`PUT /v2/sims/${ICCID}`, { status: 409, body: { error_code: 1000, error_token: 'Conflict', message: 'busy' } });
    await expect(client.updateSim(ICCID, { status: 'Disabled' })).rejects.toMatchObject({ status: 409, code: 'provider_conflict' });
  });

  it('turns garbage into ProviderBadResponse, never a crash', async () => {
    const { fake, client } = setup({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    fake.script(`GET /v2/sims/${ICCID}/status`, { status: 200, body: { unexpected: true } });
    await expect(client.getConnectivity(ICCID)).rejects.toBeInstanceOf(ProviderBadResponse);
    fake.script('GET /v2/sims', { status: 200, body: { results: [] } });
    await expect(client.listSimsPage(1)).rejects.toMatchObject({ status: 502, code: 'provider_bad_response' });
    fake.script(`GET /v1/sims/${ICCID}/usage`, { status: 200, body: '<html>oops</html>', headers: { 'content-type': 'text/html' } });
    await expect(client.getUsage(ICCID, { from: '2021-11-01', to: new Date('2021-11-14T12:00:00Z') })).rejects.toBeInstanceOf(ProviderBadResponse);
    expect(fake.calls.at(-1)!.url).toContain('start_dt=2021-11-01&end_dt=2021-11-14');
  });

  it('walks every page with the X-Total-Pages header, dropping undecodable items', async () => {
    const { fake, client } = setup();
    const pages = [1, 2, 3].map((p) => ({
      status: 200,
      body: p === 2 ? [{ ...SIM, iccid: `${p}-a` }, { broken: true }] : [{ ...SIM, iccid: `${p}-a` }, { ...SIM, iccid: `${p}-b` }],
      headers: { 'x-total-count': '6', 'x-total-pages': '3', 'x-current-page': String(p), 'x-count-per-page': '2' },
    }));
    fake.script('GET /v2/sims', ...pages);
    const iccids: string[] = [];
    for await (const sim of client.listSims({ pageSize: 2, priority: 'bulk' })) iccids.push(sim.iccid);
    expect(iccids).toEqual(['1-a', '1-b', '2-a', '3-a', '3-b']);
    const urls = fake.calls.filter((c) => c.path === '/v2/sims').map((c) => new URL(c.url).searchParams.get('page'));
    expect(urls.sort()).toEqual(['1', '2', '3']);
    expect(new URL(fake.calls.find((c) => c.path === '/v2/sims')!.url).searchParams.get('pageSize')).toBe('2');
  });

  it('uses v1 for the operations v2 lacks, with 1NCE body shapes', async () => {
    const { fake, client } = setup();
    fake.script('POST /v1/sims', { status: 201 });
    await client.bulkUpdateSims([{ iccid: ICCID, status: 'Disabled', imeiLock: true }]);
    expect(JSON.parse(fake.calls.at(-1)!.body!)).toEqual([{ iccid: ICCID, status: 'Disabled', imei_lock: true }]);
    fake.script('POST /v1/sims/topup', { status: 201, headers: { location: 'https://api.1nce.com/management-api/v1/orders/2000000042' } });
    await expect(client.topUpMany([ICCID, '8988228066602300002'])).resolves.toEqual({ orderNumber: '2000000042', location: 'https://api.1nce.com/management-api/v1/orders/2000000042' });
    expect(JSON.parse(fake.calls.at(-1)!.body!)).toEqual([ICCID, '8988228066602300002']);
    fake.script(`GET /v2/sims/${ICCID}/sms`, { status: 200, body: [{ id: 1, status: { id: 4 } }] });
    const sms = await client.listSms(ICCID, { page: 2, perPage: 50 });
    expect(sms.items[0]).toMatchObject({ id: '1', status: 'DELIVERED' });
    expect(new URL(fake.calls.at(-1)!.url).search).toBe('?page=2&per_page=50');
    fake.script(`DELETE /v2/sims/${ICCID}/sms/1`, { status: 200, body: { id: '1' } });
    await client.cancelSms(ICCID, '1');
    fake.script('GET /v1/sims/limits', { status: 200, body: { data: { id: 1, limit: '16', unit: 'MB' } } });
    await expect(client.getLimits()).resolves.toMatchObject({ data: { limit: 16 } });
    fake.script('POST /v1/orders', { status: 201, headers: { location: '/v1/orders/77' } });
    await expect(client.createOrder({ products: [{ productId: 1001, quantity: 2 }] })).resolves.toMatchObject({ orderNumber: '77' });
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toContain(`DELETE /v2/sims/${ICCID}/sms/1`);
  });

  it('honours the caller abort signal without retrying', async () => {
    const { fake, client } = setup();
    fake.script(`GET /v2/sims/${ICCID}`, { hang: true });
    const controller = new AbortController();
    const pending = client.getSim(ICCID, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('client closed')), 30);
    await expect(pending).rejects.toThrow('client closed');
    expect(fake.count(`GET /v2/sims/${ICCID}`)).toBe(1);
  });

  it('never puts the secret into errors', async () => {
    const { fake, client } = setup();
    fake.script('POST /oauth/token', { status: 400, body: { statusCode: 400, errorCode: 'BadCredentials', message: 'Incorrect username or password.' } });
    const error = await client.getSim(ICCID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderAuthError);
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain('super-secret-value');
  });
});

describe('priorities through the client', () => {
  it('an interactive call overtakes a background sweep that is already queued', async () => {
    const { fake, client } = setup({ limits: { sims: { limit: 20, windowMs: 1000, burst: 1 } } });
    const headers = { 'x-total-pages': '30', 'x-total-count': '30' };
    fake.script('GET /v2/sims', { status: 200, body: [SIM], headers });
    fake.script(`GET /v2/sims/${ICCID}`, { status: 200, body: SIM });
    const sweep = (async () => {
      let n = 0;
      for await (const _ of client.listSims({ pageSize: 1, priority: 'background', concurrency: 8 })) n++;
      return n;
    })();
    await new Promise((r) => setTimeout(r, 250));
    const started = performance.now();
    await client.getSim(ICCID, { priority: 'interactive' });
    const waited = performance.now() - started;
    // One slot is ~51.5 ms; with 8 background pages queued, FIFO would take > 400 ms.
    expect(waited).toBeLessThan(4 * 51.5);
    expect(await sweep).toBe(30);
  });
});
