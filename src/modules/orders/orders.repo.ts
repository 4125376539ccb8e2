import type { Kysely } from 'kysely';
import type { DB, NewRow, Row } from '../../db/schema.js';
import type { ProviderOrder } from '../../provider/provider.types.js';
import { pageOf } from '../../db/paging.js';

export type OrderRow = Row<'orders'>;
export type OrderItemRow = Row<'order_items'>;

/** Filters of the order listing. */
export interface OrderFilter {
  accountId?: string | undefined;
  type?: string | undefined;
  status?: string | undefined;
}

/** Columns 1NCE reports for an order (our own columns are never overwritten by a sync). */
function providerColumns(order: ProviderOrder) {
  return {
    order_type: order.type,
    status: order.status,
    order_date: order.orderedAt,
    invoice_number: order.invoiceNumber,
    invoice_amount: order.invoiceAmount,
    currency: order.currency !== null && /^[A-Z]{3}$/.test(order.currency) ? order.currency : null,
    shipping_address: (order.raw as { shipping_address?: Record<string, unknown> | null }).shipping_address ?? null,
    raw: order.raw as Record<string, unknown>,
    last_synced_at: new Date(),
  };
}

/** Queries on `orders` and `order_items`. */
export function createOrdersRepo(db: Kysely<DB>) {
  /** Replaces the lines of an order with what 1NCE reports (lines carry no local state). */
  async function replaceItems(trx: Kysely<DB>, orderId: number, order: ProviderOrder): Promise<void> {
    await trx.deleteFrom('order_items').where('order_id', '=', orderId).execute();
    const lines: Array<NewRow<'order_items'>> = [
      ...order.products
        .filter((p) => p.productId !== null && /^\d+$/.test(p.productId))
        .map((p) => ({ order_id: orderId, product_id: Number(p.productId), quantity: p.quantity ?? 1 })),
      ...[...new Set(order.iccids)].map((iccid) => ({ order_id: orderId, iccid, quantity: 1 })),
    ];
    if (lines.length > 0) await trx.insertInto('order_items').values(lines).execute();
  }

  return {
    insert(row: NewRow<'orders'>, items: Array<Omit<NewRow<'order_items'>, 'order_id'>> = []) {
      return db.transaction().execute(async (tx) => {
        const order = await tx.insertInto('orders').values(row).returningAll().executeTakeFirstOrThrow();
        if (items.length > 0) await tx.insertInto('order_items').values(items.map((i) => ({ ...i, order_id: order.id }))).execute();
        return order;
      });
    },

    update(id: number, values: Partial<NewRow<'orders'>>) {
      return db.updateTable('orders').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    },

    findById(id: number) {
      return db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
    },

    itemsOf(orderIds: number[]) {
      if (orderIds.length === 0) return Promise.resolve([]);
      return db.selectFrom('order_items').selectAll().where('order_id', 'in', orderIds).orderBy('id').execute();
    },

    async page(filter: OrderFilter, page: number, pageSize: number): Promise<{ items: OrderRow[]; total: number }> {
      let query = db.selectFrom('orders');
      if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
      if (filter.type !== undefined) query = query.where('order_type', '=', filter.type);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      const { rows, total } = await pageOf(
        query,
        (q) =>
          q
            .selectAll()
            .orderBy('order_date', (ob) => ob.desc().nullsFirst())
            .orderBy('id', 'desc'),
        page,
        pageSize,
      );
      return { items: rows, total };
    },

    /**
     * Stores 1NCE's view of an order: into the local row with that number, or into `localId` (an
     * order we placed and have just learnt the number of), or as a new row. Idempotent.
     */
    upsertFromProvider(accountId: string, order: ProviderOrder, localId?: number): Promise<OrderRow> {
      return db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('orders')
          .select('id')
          .where('account_id', '=', accountId)
          .where('order_number', '=', order.orderNumber)
          .executeTakeFirst();
        const targetId = existing?.id ?? localId;
        const stored =
          targetId === undefined
            ? await trx
                .insertInto('orders')
                .values({ account_id: accountId, order_number: order.orderNumber, ...providerColumns(order) })
                .returningAll()
                .executeTakeFirstOrThrow()
            : await trx
                .updateTable('orders')
                .set({ order_number: order.orderNumber, ...providerColumns(order) })
                .where('id', '=', targetId)
                .returningAll()
                .executeTakeFirstOrThrow();
        await replaceItems(trx, stored.id, order);
        return stored;
      });
    },
  };
}

export type OrdersRepo = ReturnType<typeof createOrdersRepo>;
