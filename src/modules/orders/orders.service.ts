import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../../db/schema.js';
import { NotFound } from '../../errors.js';
import type { Priority } from '../../provider/provider.types.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import { resolveAccountId } from '../accounts/account-scope.js';
import type { AuditService } from '../audit/audit.service.js';
import { actingUserId, type ActorContext } from '../sims/sim-ref.js';
import { mayHaveBeenProcessed } from '../../provider/errors.js';
import { createIdempotency, type IdempotentResult } from '../topups/idempotency.js';
import { createOrdersRepo, type OrderFilter, type OrderItemRow, type OrderRow } from './orders.repo.js';
import type { CreateOrderBody, OrderDto } from './orders.schemas.js';
import { isoOrNull } from '../../lib/time.js';
import { pageReply } from '../../db/paging.js';

/** 1NCE serves at most 10 orders per page; a sync stops after this many pages (100 per 5 min budget). */
const SYNC_MAX_PAGES = 50;

export interface OrdersServiceDeps {
  db: Kysely<DB>;
  provider: ProviderRegistry;
  audit: AuditService;
  logger: Pick<Logger, 'warn'>;
}

/** A stored order with its lines, as the API returns it. */
export function toOrderDto(row: OrderRow, items: OrderItemRow[]): OrderDto {
  return {
    id: row.id,
    account_id: row.account_id,
    order_number: row.order_number,
    order_type: row.order_type,
    status: row.status,
    order_date: isoOrNull(row.order_date),
    invoice_number: row.invoice_number,
    invoice_amount: row.invoice_amount,
    currency: row.currency,
    customer_reference: row.customer_reference,
    created_by_user_id: row.created_by_user_id,
    items: items.map((i) => ({ product_id: i.product_id, iccid: i.iccid, quantity: i.quantity })),
    last_synced_at: isoOrNull(row.last_synced_at),
    created_at: isoOrNull(row.created_at) ?? '',
    updated_at: isoOrNull(row.updated_at) ?? '',
  };
}

/** Orders of each provider account: stored locally, created through 1NCE, refreshed from it. */
export function createOrdersService(deps: OrdersServiceDeps) {
  const repo = createOrdersRepo(deps.db);
  const idempotency = createIdempotency(deps.db);

  async function withItems(rows: OrderRow[]): Promise<OrderDto[]> {
    const items = await repo.itemsOf(rows.map((r) => r.id));
    return rows.map((row) => toOrderDto(row, items.filter((i) => i.order_id === row.id)));
  }

  async function dto(row: OrderRow): Promise<OrderDto> {
    return (await withItems([row]))[0]!;
  }

  /**
   * Fetches 1NCE's record of an order we just placed and stores it into our row. Best effort: the
   * order exists either way, and the next sync fills in what this could not.
   */
  async function refreshPlaced(accountId: string, localId: number, orderNumber: string, priority: Priority): Promise<OrderRow> {
    try {
      const client = await deps.provider.get(accountId);
      return await repo.upsertFromProvider(accountId, await client.getOrder(orderNumber, { priority }), localId);
    } catch (error) {
      deps.logger.warn({ err: error, orderNumber }, 'order placed but its details could not be read from 1NCE yet');
      return repo.update(localId, { order_number: orderNumber });
    }
  }

  async function place(accountId: string, body: CreateOrderBody, acting: ActorContext, idempotencyKey: string | undefined): Promise<OrderDto> {
    const row = await repo.insert(
      {
        account_id: accountId,
        order_type: 'ADDITIONAL_ORDER',
        status: 'REQUESTED',
        customer_reference: body.customer_reference ?? null,
        shipping_address: body.delivery_address ?? null,
        idempotency_key: idempotencyKey ?? null,
        created_by_user_id: actingUserId(acting),
        order_date: new Date(),
      },
      body.products.map((p) => ({ product_id: p.product_id, quantity: p.quantity })),
    );
    const client = await deps.provider.get(accountId);
    try {
      const reference = await client.createOrder({
        products: body.products.map((p) => ({ productId: p.product_id, quantity: p.quantity })),
        ...(body.delivery_address !== undefined && { deliveryAddress: body.delivery_address }),
        ...(body.customer_reference !== undefined && { customerReference: body.customer_reference }),
      });
      const stored =
        reference.orderNumber === null
          ? await repo.update(row.id, { status: 'SUBMITTED' })
          : await refreshPlaced(accountId, row.id, reference.orderNumber, 'interactive');
      await deps.audit.record({ ...acting, action: 'order.create', target: { type: 'order', id: String(stored.id) }, outcome: 'success', detail: { order_number: stored.order_number } });
      return dto(stored);
    } catch (error) {
      const unknown = mayHaveBeenProcessed(error);
      // A certain failure releases the key (see idempotency.ts), so this row must not hold it either.
      await repo.update(row.id, unknown ? { status: 'UNKNOWN' } : { status: 'FAILED', idempotency_key: null });
      await deps.audit.record({ ...acting, action: 'order.create', target: { type: 'order', id: String(row.id) }, outcome: 'failure', detail: { outcome_unknown: unknown } });
      throw error;
    }
  }

  return {
    repo,
    refreshPlaced,

    /** Stored orders, newest first. */
    async list(filter: OrderFilter, page: number, pageSize: number) {
      const { items, total } = await repo.page(filter, page, pageSize);
      return pageReply(await withItems(items), total, page, pageSize);
    },

    async get(id: number): Promise<OrderDto> {
      const row = await repo.findById(id);
      if (row === undefined) throw new NotFound('order', String(id));
      return dto(row);
    },

    /** Places an order at 1NCE (a real, invoiced order); an Idempotency-Key makes retries safe. */
    async create(requestedAccount: string | undefined, body: CreateOrderBody, acting: ActorContext, idempotencyKey?: string): Promise<IdempotentResult<OrderDto>> {
      const accountId = await resolveAccountId(deps.db, requestedAccount);
      if (idempotencyKey === undefined) return { statusCode: 201, body: await place(accountId, body, acting, undefined), replayed: false };
      const scope = `${acting.actor.type}:${acting.actor.userId ?? acting.actor.username ?? 'anonymous'}:POST /orders`;
      return idempotency.run({ scope, key: idempotencyKey, fingerprint: { accountId, body } }, async () => ({
        statusCode: 201,
        body: await place(accountId, body, acting, `${scope}#${idempotencyKey}`),
      }));
    },

    /** Pulls every order of the account from 1NCE and upserts it (and its lines). */
    async sync(requestedAccount: string | undefined, priority: Priority = 'interactive') {
      const accountId = await resolveAccountId(deps.db, requestedAccount);
      const client = await deps.provider.get(accountId);
      let fetched = 0;
      let pages = 0;
      for (let page = 1; page <= SYNC_MAX_PAGES; page++) {
        const result = await client.listOrders({ page, pageSize: 10, priority });
        pages++;
        for (const order of result.items) await repo.upsertFromProvider(accountId, order);
        fetched += result.items.length;
        const last = result.totalPages !== null ? page >= result.totalPages : result.items.length < 10;
        if (last || result.items.length === 0) break;
      }
      return { account_id: accountId, fetched, pages };
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
