/**
 * Orders, products and support (reference §8), v1 only.
 */
import type { FastifyInstance } from 'fastify';
import { recordEffect, type SimContext } from './context.js';
import { isoDate } from './formats.js';
import { intParam, pageOf, queryOf, selfBase, sendEmpty, sendJson, sendSpringError } from './http.js';
import { PRODUCTS, type Order, type Ticket } from './orders.js';

const ORDER_SORT_FIELDS = ['order_number', 'order_status', 'order_date'] as const;

function renderOrder(order: Order): Record<string, unknown> {
  return {
    order_number: order.orderNumber,
    order_type: order.type,
    order_date: isoDate(order.dateMs),
    order_status: order.status,
    invoice_number: order.invoiceNumber,
    invoice_amount: order.invoiceAmount,
    currency: order.currency,
    shipping_address: { salutation: '1', first_name: 'Demo', last_name: 'Operator', company: 'Demo IoT GmbH', street: 'Sandstrasse', house_number: '33', zip: '80335', city: 'Munich', country: 'DE', phone: '+49 89 000000' },
    sims: order.iccids.map((iccid) => ({ iccid, _links: [{ rel: 'self', href: `https://api.1nce.com/api/v1/sims/${iccid}` }] })),
    products: order.products,
    ...(order.customerReference === undefined ? {} : { customer_reference: order.customerReference }),
  };
}

function renderTicket(ticket: Ticket): Record<string, unknown> {
  return {
    caseId: ticket.caseId,
    communications: ticket.communications.map((c) => ({ communicationDate: isoDate(c.dateMs), direction: c.direction, id: c.id, originator: c.originator, subject: c.subject, text: c.text, type: c.type })),
    createDate: isoDate(ticket.createMs),
    ...(ticket.solvedMs === undefined ? {} : { solvedDate: isoDate(ticket.solvedMs) }),
    status: ticket.status,
    subject: ticket.subject,
    text: ticket.text,
  };
}

/** Registers orders, products and support routes. */
export function registerOrderRoutes(api: FastifyInstance, ctx: SimContext): void {
  api.get('/v1/orders', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const q = queryOf(request);
    const page = intParam(q.page);
    const pageSize = intParam(q.pageSize, 10);
    if (page === null) return sendSpringError(reply, request, 400, 'page must be a positive integer', now);
    if (pageSize === null) return sendSpringError(reply, request, 400, 'pageSize must be an integer between 1 and 10', now);
    const keys = (q.sort ?? 'order_number').split(',').filter((k) => k !== '');
    for (const key of keys) {
      if (!(ORDER_SORT_FIELDS as readonly string[]).includes(key.replace(/^-/, ''))) return sendSpringError(reply, request, 400, `Invalid sort field '${key}'`, now);
    }
    const value = (o: Order, field: string): number | string => (field === 'order_status' ? o.status : field === 'order_date' ? o.dateMs : o.orderNumber);
    const orders = [...ctx.state.account.orders].sort((a, b) => {
      for (const key of keys) {
        const desc = key.startsWith('-');
        const field = key.replace(/^-/, '');
        const va = value(a, field);
        const vb = value(b, field);
        if (va !== vb) return (va < vb ? -1 : 1) * (desc ? -1 : 1);
      }
      return 0;
    });
    const paging = pageOf(orders.length, page ?? 1, pageSize ?? 10);
    reply.headers(paging.headers);
    return sendJson(reply, 200, orders.slice(paging.start, paging.end).map(renderOrder));
  });

  api.post('/v1/orders', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const body = request.body as { products?: unknown; customer_reference?: unknown; delivery_address?: unknown } | undefined;
    const products = body?.products;
    if (!Array.isArray(products) || products.length === 0) return sendSpringError(reply, request, 400, "Missing attribute 'products'", now);
    const items: Order['products'] = [];
    for (const p of products as Array<{ productId?: unknown; quantity?: unknown }>) {
      if (typeof p.productId !== 'number' || !PRODUCTS.some((x) => x.id === p.productId)) return sendSpringError(reply, request, 400, 'Unknown productId', now);
      if (typeof p.quantity !== 'number' || !Number.isInteger(p.quantity) || p.quantity < 1) return sendSpringError(reply, request, 400, 'quantity must be an integer >= 1', now);
      items.push({ product_id: p.productId, quantity: p.quantity });
    }
    const order = ctx.state.account.createOrder({
      type: 'ADDITIONAL_ORDER',
      dateMs: now,
      iccids: [],
      products: items,
      ...(typeof body?.customer_reference === 'string' ? { customerReference: body.customer_reference } : {}),
    });
    recordEffect(ctx.stats, 'order', order.customerReference ?? String(order.orderNumber));
    reply.header('Location', `${selfBase(request)}/v1/orders/${order.orderNumber}`);
    return sendJson(reply, 201, body);
  });

  api.get<{ Params: { orderNumber: string } }>('/v1/orders/:orderNumber', async (request, reply) => {
    const order = ctx.state.account.orders.find((o) => String(o.orderNumber) === request.params.orderNumber);
    if (order === undefined) return sendSpringError(reply, request, 404, 'Order not found.', ctx.clock.nowMs());
    return sendJson(reply, 200, renderOrder(order));
  });

  api.get('/v1/products', async (_request, reply) => sendJson(reply, 200, PRODUCTS));

  api.get('/v1/support', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const q = queryOf(request);
    const page = intParam(q.page);
    const pageSize = intParam(q.pageSize, 100);
    if (page === null) return sendSpringError(reply, request, 400, 'page must be a positive integer', now);
    if (pageSize === null) return sendSpringError(reply, request, 400, 'pageSize must be an integer between 1 and 100', now);
    const tickets = ctx.state.account.tickets;
    // The spec's default page size here really is 1.
    const paging = pageOf(tickets.length, page ?? 1, pageSize ?? 1);
    reply.headers(paging.headers);
    return sendJson(reply, 200, tickets.slice(paging.start, paging.end).map(renderTicket));
  });

  api.post('/v1/support', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const b = (request.body ?? {}) as Record<string, unknown>;
    for (const field of ['replyToMail', 'senderName', 'subject', 'text']) {
      if (typeof b[field] !== 'string' || b[field] === '') return sendSpringError(reply, request, 400, `Missing attribute '${field}'`, now);
    }
    ctx.state.account.createTicket({ subject: String(b.subject), text: String(b.text), senderName: String(b.senderName), dateMs: now });
    return sendEmpty(reply, 201);
  });
}
