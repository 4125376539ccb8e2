import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { signedIn } from '../modules/users/fixtures.js';
import { setFaults, simulatorRequests } from '../modules/bulk/fleet.fixtures.js';

describe.each(backends)('orders, products and support tickets over HTTP (%s)', (backend) => {
  let t: TestApp;
  let admin: Record<string, string>;
  let operator: Record<string, string>;
  let viewer: Record<string, string>;

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: true, env: { API_RATE_LIMIT_RPS: '100000' } });
    admin = (await signedIn(t, 'admin')).headers;
    operator = (await signedIn(t, 'operator')).headers;
    viewer = (await signedIn(t, 'viewer')).headers;
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (url: string, headers = viewer) => t.app.inject({ method: 'GET', url, headers });
  const post = (url: string, payload?: object, headers = operator) => t.app.inject({ method: 'POST', url, headers, ...(payload !== undefined && { payload }) });

  describe('orders', () => {
    it('syncs 1NCE’s orders into our database (idempotently) and serves them from there', async () => {
      expect((await get('/api/v1/orders')).json().total).toBe(0);
      const sync = await post('/api/v1/orders/sync');
      expect(sync.statusCode).toBe(200);
      expect(sync.json()).toMatchObject({ account_id: t.accountId, fetched: 3 });
      expect((await post('/api/v1/orders/sync')).json().fetched).toBe(3);

      const list = await get('/api/v1/orders');
      expect(list.json()).toMatchObject({ total: 3, page: 1, page_size: 50, total_pages: 1 });
      const first = list.json().items.find((o: { order_number: string }) => o.order_number === '2000000001');
      expect(first).toMatchObject({ order_type: 'FIRST_ORDER', status: 'COMPLETED', invoice_amount: '10.00', currency: 'EUR' });
      expect(first.items.filter((i: { iccid: string | null }) => i.iccid !== null)).toHaveLength(10);

      const one = await get(`/api/v1/orders/${first.id}`);
      expect(one.json()).toEqual(first);
      expect((await get('/api/v1/orders?type=TOPUP')).json().total).toBe(1);
      expect((await get('/api/v1/orders/999999')).statusCode).toBe(404);
    });

    it('places an order at 1NCE (admins only) and replays it for a retried Idempotency-Key', async () => {
      const body = { products: [{ product_id: 1001, quantity: 5 }], customer_reference: 'PO-17' };
      expect((await post('/api/v1/orders', body)).statusCode).toBe(403);
      const before = (await simulatorRequests(t))['POST /v1/orders'] ?? 0;
      const created = await post('/api/v1/orders', body, { ...admin, 'idempotency-key': 'order-1' });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ order_type: 'ADDITIONAL_ORDER', status: 'IN_PROGRESS', customer_reference: 'PO-17', invoice_amount: '50.00' });
      expect(created.json().items).toContainEqual({ product_id: 1001, iccid: null, quantity: 5 });
      const replay = await post('/api/v1/orders', body, { ...admin, 'idempotency-key': 'order-1' });
      expect(replay.json()).toEqual(created.json());
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect((await simulatorRequests(t))['POST /v1/orders']).toBe(before + 1);

      // A sync afterwards finds the same order by number instead of duplicating it.
      await post('/api/v1/orders/sync');
      const all = (await get('/api/v1/orders?page_size=100')).json();
      expect(all.items.filter((o: { order_number: string }) => o.order_number === created.json().order_number)).toHaveLength(1);
    });

    it('passes 1NCE’s refusal through as a 400 naming the reason', async () => {
      const refused = await post('/api/v1/orders', { products: [{ product_id: 4242, quantity: 1 }] }, admin);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'provider_rejected' });
      expect(refused.json().detail).toMatch(/Unknown productId/);
      expect((await post('/api/v1/orders', { products: [] }, admin)).statusCode).toBe(400);
    });
  });

  describe('products', () => {
    it('fetches the catalogue once, then serves it from the cache until a sync', async () => {
      const calls = async () => (await simulatorRequests(t))['GET /v1/products'] ?? 0;
      const before = await calls();
      const first = await get('/api/v1/products');
      expect(first.statusCode).toBe(200);
      expect(first.json().total).toBe(4);
      expect(first.json().items[0]).toMatchObject({ product_id: 1001, name: '1NCE IoT FlexSIM - Standard', min_contract_duration_months: 120 });
      expect(first.json().items[0].one_time_charges).toEqual([{ name: 'provisionCharge', amount_net: 10, currency: 'EUR' }]);
      const hitsBefore = await cacheHits(t);
      expect((await get('/api/v1/products')).json()).toEqual(first.json());
      expect((await get('/api/v1/products/1101')).json()).toMatchObject({ product_id: 1101, material: 'Top-Up' });
      expect(await calls()).toBe(before + 1);
      expect(await cacheHits(t)).toBeGreaterThan(hitsBefore);

      expect((await post('/api/v1/products/sync')).json()).toMatchObject({ fetched: 4 });
      await get('/api/v1/products');
      expect(await calls()).toBe(before + 2); // the sync itself; the read after it comes from the table
      expect((await get('/api/v1/products/9999')).statusCode).toBe(404);
      expect((await get('/api/v1/products?account=00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
      expect((await get('/api/v1/products?account=not-a-uuid')).statusCode).toBe(400);
    });
  });

  describe('support tickets', () => {
    it('creates a case through 1NCE, learns its case id and lists it with the synced ones', async () => {
      const created = await post('/api/v1/support/tickets', { reply_to_mail: 'ops@example.com', sender_name: 'Ops', subject: 'Attach failures', text: 'Devices in SE do not attach.' });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ subject: 'Attach failures', status: 'OPEN', reply_to_mail: 'ops@example.com' });
      expect(created.json().case_id).toMatch(/^\d+$/);

      const list = await get('/api/v1/support/tickets');
      expect(list.json().total).toBe(3);
      expect((await get('/api/v1/support/tickets?status=CLOSED')).json().items[0]).toMatchObject({ subject: 'SIMs not attaching in Sweden' });
      const one = await get(`/api/v1/support/tickets/${created.json().id}`);
      expect(one.json().communications[0]).toMatchObject({ direction: 'IN', type: 'PORTAL', originator: 'Ops' });

      expect((await post('/api/v1/support/tickets/sync')).json()).toMatchObject({ fetched: 3 });
      expect((await get('/api/v1/support/tickets')).json().total).toBe(3);
      expect((await post('/api/v1/support/tickets', { reply_to_mail: 'nope', sender_name: 'x', subject: 'y', text: 'z' })).statusCode).toBe(400);
      expect((await post('/api/v1/support/tickets', { reply_to_mail: 'a@b.co', sender_name: 'x', subject: 'y', text: 'z' }, viewer)).statusCode).toBe(403);
    });

    it('reports an unavailable 1NCE as 503 and stores nothing', async () => {
      await setFaults(t, { htmlUnavailable: 1 });
      try {
        const response = await post('/api/v1/support/tickets', { reply_to_mail: 'a@b.co', sender_name: 'x', subject: 'never stored', text: 'z' });
        expect(response.statusCode).toBe(503);
        expect(response.json().code).toBe('provider_unavailable');
      } finally {
        await setFaults(t, { htmlUnavailable: 0 });
      }
      const stored = await t.deps.database.db.selectFrom('support_tickets').select('id').where('subject', '=', 'never stored').execute();
      expect(stored).toHaveLength(0);
    });
  });
});

async function cacheHits(t: TestApp): Promise<number> {
  const metric = await t.deps.metrics.registry.getSingleMetric('simfleet_cache_requests_total')?.get();
  return metric?.values.filter((v) => v.labels.result === 'hit').reduce((sum, v) => sum + v.value, 0) ?? 0;
}
