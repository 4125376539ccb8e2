import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { pino } from 'pino';
import { webhookDeliverJob } from '../../src/jobs/webhook-deliver.job.js';
import { verifyWebhook, WEBHOOK_HEADERS } from '../../src/modules/webhooks/webhook-signature.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';

const ctx = { jobId: 'test', attempt: 1, signal: new AbortController().signal, logger: pino({ level: 'silent' }) };
const SECRET = 'receiver-secret-0123456789';

/** A real HTTP receiver that verifies every delivery's signature like a customer would. */
interface Receiver {
  url: string;
  received: Array<{ headers: IncomingHttpHeaders; body: string; verified: boolean }>;
  status: number;
  close(): Promise<void>;
}

async function startReceiver(secret: string): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], status: 200, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const signature = req.headers[WEBHOOK_HEADERS.signature];
      const timestamp = req.headers[WEBHOOK_HEADERS.timestamp];
      const verified = verifyWebhook(secret, { signature: signature as string | undefined, timestamp: timestamp as string | undefined }, body);
      receiver.received.push({ headers: req.headers, body, verified });
      res.statusCode = verified ? receiver.status : 401;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/simfleet`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}

describe('webhook signatures', () => {
  it('verifies only the exact body, secret and a recent timestamp', async () => {
    const { signWebhook } = await import('../../src/modules/webhooks/webhook-signature.js');
    const now = 1_700_000_000;
    const signature = signWebhook('s3cret', now, '{"a":1}');
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook('s3cret', { signature, timestamp: String(now) }, '{"a":1}', now)).toBe(true);
    expect(verifyWebhook('s3cret', { signature, timestamp: String(now) }, '{"a":2}', now)).toBe(false);
    expect(verifyWebhook('other', { signature, timestamp: String(now) }, '{"a":1}', now)).toBe(false);
    expect(verifyWebhook('s3cret', { signature, timestamp: String(now + 1) }, '{"a":1}', now)).toBe(false);
    expect(verifyWebhook('s3cret', { signature, timestamp: String(now) }, '{"a":1}', now + 301)).toBe(false);
  });
});

describe.each(backends)('webhooks (%s)', (backend) => {
  let t: TestApp;
  let receiver: Receiver;
  let admin: Record<string, string>;

  beforeAll(async () => {
    // The test receiver listens on loopback, which the SSRF policy refuses unless allowed.
    t = await buildTestApp({ backend, env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    receiver = await startReceiver(SECRET);
    admin = await authHeaders(t, 'admin');
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  const deliver = () => webhookDeliverJob(t.deps).handler({}, ctx);

  it('is admin-only and never returns the secret; a generated secret is shown once', async () => {
    const operator = await authHeaders(t, 'operator');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: operator })).statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: admin, payload: { url: 'ftp://x.example/h', events: ['sim.online'] } });
    expect(bad.statusCode).toBe(400);
    const unknownEvent = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: admin, payload: { url: 'https://x.example/h', events: ['sim.exploded'] } });
    expect(unknownEvent.statusCode).toBe(400);
    const generated = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: admin, payload: { url: 'https://x.example/h', events: ['sim.online'] } });
    expect(generated.statusCode).toBe(201);
    expect(generated.json().secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const shown = await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${generated.json().id}`, headers: admin });
    expect(shown.json().secret).toBeUndefined();
    const stored = await t.deps.database.db.selectFrom('webhook_subscriptions').select('secret_ciphertext').where('id', '=', generated.json().id).executeTakeFirstOrThrow();
    expect(stored.secret_ciphertext).not.toContain(generated.json().secret);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${generated.json().id}`, headers: admin })).statusCode).toBe(204);
  });

  it('delivers signed events to a real receiver, retries failures with backoff, and logs every attempt', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: admin,
      payload: { url: receiver.url, secret: SECRET, events: ['sim.status_changed', 'sms.received'] },
    });
    expect(created.statusCode).toBe(201);
    const id: string = created.json().id;

    // Test send: immediate, signed, logged.
    const test = await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${id}/test`, headers: admin });
    expect(test.statusCode).toBe(200);
    expect(test.json()).toMatchObject({ event_type: 'webhook.test', status: 'delivered', last_status_code: 200, attempts: 1 });
    expect(receiver.received.at(-1)!.verified).toBe(true);

    // A domain event: the receiver fails first (503), then accepts the retry.
    receiver.status = 503;
    await t.deps.notify('sim.status_changed', { iccid: '8988280666000000001', previous_status: 'Enabled', status: 'Disabled' });
    await t.deps.notify('sim.online', { iccid: '8988280666000000001' }); // not subscribed: no delivery
    expect(await deliver()).toEqual({ items: 1 });
    let log = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}/deliveries?status=failed`, headers: admin })).json();
    expect(log.items).toHaveLength(1);
    const failed = log.items[0];
    expect(failed).toMatchObject({ event_type: 'sim.status_changed', attempts: 1, last_status_code: 503, last_error: 'HTTP 503' });
    const wait = new Date(failed.next_attempt_at).getTime() - Date.now();
    expect(wait).toBeGreaterThan(20_000);
    expect(wait).toBeLessThan(40_000);

    // Not due yet: nothing is attempted. Once due, the retry succeeds.
    expect(await deliver()).toEqual({ items: 0 });
    await t.deps.database.db.updateTable('webhook_deliveries').set({ next_attempt_at: sql<Date>`now() - interval '1 second'` as never }).where('id', '=', failed.id).execute();
    receiver.status = 200;
    expect(await deliver()).toEqual({ items: 1 });
    log = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}/deliveries`, headers: admin })).json();
    const delivered = log.items.find((d: { id: string }) => d.id === failed.id);
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200, next_attempt_at: null });

    const last = receiver.received.at(-1)!;
    expect(last.verified).toBe(true);
    expect(last.headers[WEBHOOK_HEADERS.event]).toBe('sim.status_changed');
    expect(last.headers[WEBHOOK_HEADERS.delivery]).toBe(failed.id);
    const envelope = JSON.parse(last.body);
    expect(envelope).toMatchObject({ type: 'sim.status_changed', data: { iccid: '8988280666000000001', status: 'Disabled' } });
    expect(envelope.id).toBe(failed.event_id);
    expect(receiver.received.filter((r) => r.headers[WEBHOOK_HEADERS.event] === 'sim.online')).toHaveLength(0);
    const subscription = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}`, headers: admin })).json();
    expect(subscription).toMatchObject({ enabled: true, consecutive_failures: 0, last_success_at: expect.any(String) });
  });

  it('gives up after 24 hours of failures and disables the subscription until an admin re-enables it', async () => {
    const created = await t.deps.webhooks.create({ url: receiver.url, secret: 'wrong-secret-0123456789', events: ['sms.received'] }, null);
    await t.deps.notify('sms.received', { iccid: '8988280666000000001', text: 'hi' });
    // The receiver refuses this subscription's signatures (401). Pretend the event is 24 hours old.
    await t.deps.database.db
      .updateTable('webhook_deliveries')
      .set({ created_at: sql<Date>`now() - interval '24 hours'` as never })
      .where('subscription_id', '=', created.id)
      .execute();
    await deliver();
    const delivery = await t.deps.database.db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', created.id).executeTakeFirstOrThrow();
    expect(delivery).toMatchObject({ status: 'dead', last_status_code: 401, next_attempt_at: null });
    let subscription = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${created.id}`, headers: admin })).json();
    expect(subscription).toMatchObject({ enabled: false, disabled_reason: expect.stringMatching(/24 hours/) });

    // Disabled subscriptions get no new deliveries; re-enabling resets the failure count.
    await t.deps.notify('sms.received', { iccid: '8988280666000000001', text: 'again' });
    const count = await t.deps.database.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('subscription_id', '=', created.id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
    const reenabled = await t.app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${created.id}`, headers: admin, payload: { enabled: true, secret: SECRET } });
    subscription = reenabled.json();
    expect(subscription).toMatchObject({ enabled: true, disabled_at: null, disabled_reason: null, consecutive_failures: 0 });
  });
});
