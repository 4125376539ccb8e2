import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildApp, type App } from '../../src/app.js';
import { createDb } from '../../src/db/client.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseUrl } from '../helpers/db.js';
import { insertSims } from '../helpers/factories.js';
import { apiKeyFor } from '../modules/users/fixtures.js';
import { openSse, type SseClient } from '../helpers/sse.js';

const ICCID = '8988280666000000019';
const ICCID_2 = '8988280666000000027';

async function listen(app: App): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function seedSims(t: TestApp): Promise<void> {
  const account = await t.deps.accounts.ensureDefaultAccount({ apiUrl: 'http://127.0.0.1:9/management-api', clientId: 'c', clientSecret: 's' });
  await insertSims(t.deps.database.db, [ICCID, ICCID_2].map((iccid) => ({ account_id: account.id, iccid, source: 'manual' as const, status: 'Enabled' })));
}

describe.each(backends)('GET /api/v1/events/stream (%s)', (backend) => {
  let t: TestApp;
  let base: string;
  let operator: Record<string, string>;
  const streams: SseClient[] = [];
  const open = async (headers: Record<string, string>) => {
    const s = await openSse(`${base}/api/v1/events/stream`, headers);
    streams.push(s);
    return s;
  };
  const patch = (iccid: string, body: Record<string, unknown>) =>
    fetch(`${base}/api/v1/sims/${iccid}`, { method: 'PATCH', headers: { ...operator, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000', LIVE_HEARTBEAT_SECONDS: '1', LIVE_STREAMS_PER_USER: '3' } });
    await seedSims(t);
    base = await listen(t.app);
    operator = (await apiKeyFor(t, 'operator')).headers;
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    // fetch (undici) may leave a socket that never carried a request; Node only drops those after
    // headersTimeout, which would outlast the hook timeout. The streams themselves are ended by close().
    const closing = t.app.close();
    t.app.server.closeAllConnections();
    await closing;
    await t.close();
  });

  it('answers 401 problem+json without credentials and never takes a token from the query string (400 credentials_in_query)', async () => {
    const bare = await fetch(`${base}/api/v1/events/stream`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('content-type')).toContain('application/problem+json');
    const key = (await apiKeyFor(t, 'viewer')).key.api_key;
    for (const query of [`api_key=${key}`, `x-api-key=${key}`, `access_token=${key}`, `token=${key}`]) {
      // A credential-shaped query parameter is refused outright (and redacted from logs); any other is ignored.
      const res = await fetch(`${base}/api/v1/events/stream?${query}`);
      expect([400, 401]).toContain(res.status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      if (res.status === 400) expect(((await res.json()) as { code: string }).code).toBe('credentials_in_query');
      else await res.body?.cancel();
    }
  });

  it('delivers sim.updated raised by a SIM PATCH to a real HTTP client', async () => {
    const viewer = (await apiKeyFor(t, 'viewer')).headers;
    const stream = await open(viewer);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-cache, no-transform');
    const response = await patch(ICCID, { label: 'Truck 7', tags: ['fleet-a'] });
    expect(response.status).toBe(200);
    const event = await stream.next('sim.updated');
    expect(event.data).toEqual({ iccid: ICCID, fields: expect.arrayContaining(['label', 'tags']) });
    expect(Number(event.id)).toBeGreaterThan(0);
    stream.close();
  });

  it('resumes after Last-Event-ID with exactly the missed events, in order', async () => {
    const viewer = (await apiKeyFor(t, 'viewer')).headers;
    const first = await open(viewer);
    await patch(ICCID, { label: 'before' });
    const seen = await first.next('sim.updated');
    first.close();
    await patch(ICCID, { label: 'missed 1' });
    await patch(ICCID_2, { tags: ['missed-2'] });
    const resumed = await open({ ...viewer, 'last-event-id': seen.id! });
    const a = await resumed.next('sim.updated');
    const b = await resumed.next('sim.updated');
    expect(a.data).toEqual({ iccid: ICCID, fields: ['label'] });
    expect(b.data).toEqual({ iccid: ICCID_2, fields: ['tags'] });
    expect(Number(a.id)).toBeGreaterThan(Number(seen.id));
    expect(Number(b.id)).toBeGreaterThan(Number(a.id));
    // And then live again.
    await patch(ICCID, { label: 'live' });
    expect((await resumed.next('sim.updated')).data).toEqual({ iccid: ICCID, fields: ['label'] });
    resumed.close();
  });

  it('tells a client to resynchronise when its Last-Event-ID is gone, and refuses a malformed one', async () => {
    const viewer = (await apiKeyFor(t, 'viewer')).headers;
    await t.deps.database.db.updateTable('live_event_state').set({ pruned_through: 5 }).execute();
    const stale = await open({ ...viewer, 'last-event-id': '2' });
    const resync = await stale.next('resync');
    expect(resync.data).toMatchObject({ reason: expect.any(String) });
    stale.close();
    const future = await open({ ...viewer, 'last-event-id': '999999999' });
    expect((await future.next('resync')).event).toBe('resync');
    future.close();
    const bad = await fetch(`${base}/api/v1/events/stream`, { headers: { ...viewer, 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('invalid_last_event_id');
  });

  it('limits concurrent streams per user (429 too_many_streams) and frees the slot on disconnect', async () => {
    const { headers } = await apiKeyFor(t, 'viewer');
    const held = [await open(headers), await open(headers), await open(headers)];
    const refused = await fetch(`${base}/api/v1/events/stream`, { headers });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe('too_many_streams');
    held[0]!.close();
    await expect.poll(async () => (await fetch(`${base}/api/v1/auth/me`, { headers })).status).toBe(200);
    let reopened: SseClient | undefined;
    await expect
      .poll(async () => {
        reopened?.close();
        reopened = await open(headers);
        return reopened.status;
      }, { timeout: 5_000 })
      .toBe(200);
    for (const s of held) s.close();
  });

  it('ends the stream once its API key is revoked', async () => {
    const { key, user, headers } = await apiKeyFor(t, 'viewer');
    const stream = await open(headers);
    expect(stream.status).toBe(200);
    await t.deps.identity.apiKeys.revoke({ kind: 'user', userId: user.id, username: user.username, role: 'viewer', userRole: 'viewer' }, key.id);
    await stream.ended;
    expect(stream.comments).toContain('closed credential_invalid');
  });

  it('sends keepalive comments', async () => {
    const stream = await open((await apiKeyFor(t, 'viewer')).headers);
    await expect.poll(() => stream.comments.includes('keepalive'), { timeout: 5_000 }).toBe(true);
    stream.close();
  });
});

describe.runIf(databaseUrl !== undefined)('live events across replicas (postgres)', () => {
  let t: TestApp;
  let second: { deps: Deps; app: App } | undefined;

  beforeAll(async () => {
    t = await buildTestApp({ backend: 'postgres', env: { API_RATE_LIMIT_RPS: '100000' } });
    await seedSims(t);
    // A second app instance on the same database and schema: another replica.
    const schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(t.deps.database.db)).rows[0]!.schema;
    const database = await createDb({ databaseUrl: databaseUrl!, dataDir: '', poolMax: 3, searchPath: schema });
    const deps = await createDeps(t.config, createLogger(t.config), { database });
    second = { deps, app: await buildApp(deps) };
  });
  afterAll(async () => {
    second?.app.server.closeAllConnections();
    t.app.server.closeAllConnections();
    await second?.app.close();
    await second?.deps.close();
    await t.close();
  });

  it('delivers an event raised on one replica to a client of the other', async () => {
    const baseA = await listen(t.app);
    const baseB = await listen(second!.app);
    const operator = (await apiKeyFor(t, 'operator')).headers;
    const viewer = (await apiKeyFor(t, 'viewer')).headers;
    const onB = await openSse(`${baseB}/api/v1/events/stream`, viewer);
    const onA = await openSse(`${baseA}/api/v1/events/stream`, viewer);
    try {
      const response = await fetch(`${baseA}/api/v1/sims/${ICCID}`, {
        method: 'PATCH',
        headers: { ...operator, 'content-type': 'application/json' },
        body: JSON.stringify({ label: 'from replica A' }),
      });
      expect(response.status).toBe(200);
      const [fromB, fromA] = await Promise.all([onB.next('sim.updated'), onA.next('sim.updated')]);
      expect(fromB.data).toEqual({ iccid: ICCID, fields: ['label'] });
      // Same event, same id, on both replicas.
      expect(fromB.id).toBe(fromA.id);
      // Resume on replica B after an event seen on replica A.
      onB.close();
      await fetch(`${baseA}/api/v1/sims/${ICCID_2}`, { method: 'PATCH', headers: { ...operator, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'missed' }) });
      const resumed = await openSse(`${baseB}/api/v1/events/stream`, { ...viewer, 'last-event-id': fromA.id! });
      expect((await resumed.next('sim.updated')).data).toEqual({ iccid: ICCID_2, fields: ['label'] });
      resumed.close();
    } finally {
      onA.close();
      onB.close();
    }
  });
});

describe('graceful shutdown with open streams', () => {
  it('ends every stream and closes promptly', async () => {
    const t = await buildTestApp();
    try {
      const base = await listen(t.app);
      const stream = await openSse(`${base}/api/v1/events/stream`, (await apiKeyFor(t, 'viewer')).headers);
      expect(stream.status).toBe(200);
      const started = performance.now();
      await t.app.close();
      await stream.ended;
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(stream.comments).toContain('closed shutting_down');
    } finally {
      await t.close();
    }
  });
});
