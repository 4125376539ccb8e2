import { Type, type Static } from 'typebox';
import { DateTime, Line, Nullable, Page } from '../../lib/schemas.js';

/** Request and response schemas of the order routes (top-ups are orders too). */

export const AccountQueryProperty = Type.Optional(Type.String({ format: 'uuid', description: 'Provider account id (default: the default account)' }));

export const OrderItemSchema = Type.Object({
  product_id: Nullable(Type.Integer()),
  iccid: Nullable(Type.String()),
  quantity: Type.Integer(),
});

export const OrderSchema = Type.Object(
  {
    id: Type.Integer({ description: 'Our id (1NCE’s number is `order_number`, null until 1NCE tells it)' }),
    account_id: Type.String(),
    order_number: Nullable(Type.String()),
    order_type: Nullable(Type.String({ description: 'FIRST_ORDER, ADDITIONAL_ORDER, TOPUP, BULK_TOPUP, TARIFF_CHANGE' })),
    status: Nullable(
      Type.String({ description: '1NCE’s status (e.g. COMPLETED), or ours before 1NCE reports one: REQUESTED, SUBMITTED, FAILED, UNKNOWN (outcome unknown)' }),
    ),
    order_date: Nullable(DateTime),
    invoice_number: Nullable(Type.String()),
    invoice_amount: Nullable(Type.String({ description: 'Gross amount as a decimal string', examples: ['19.99'] })),
    currency: Nullable(Type.String()),
    customer_reference: Nullable(Type.String()),
    created_by_user_id: Nullable(Type.Integer()),
    items: Type.Array(OrderItemSchema),
    last_synced_at: Nullable(DateTime),
    created_at: DateTime,
    updated_at: DateTime,
  },
  {
    examples: [
      {
        id: 7,
        account_id: '0b5e1a2c-6f0e-4d38-9f49-5d8a2c1e0f11',
        order_number: '2000000004',
        order_type: 'TOPUP',
        status: 'COMPLETED',
        order_date: '2025-06-15T12:00:00.000Z',
        invoice_number: 'INV-2000000004',
        invoice_amount: '10.00',
        currency: 'EUR',
        customer_reference: null,
        created_by_user_id: 3,
        items: [{ product_id: null, iccid: '8988280666000000019', quantity: 1 }],
        last_synced_at: '2025-06-15T12:00:01.000Z',
        created_at: '2025-06-15T12:00:00.000Z',
        updated_at: '2025-06-15T12:00:01.000Z',
      },
    ],
  },
);
export type OrderDto = Static<typeof OrderSchema>;

export const OrderPageSchema = Type.Object({
  items: Type.Array(OrderSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

export const ListOrdersQuery = Type.Object({
  account: AccountQueryProperty,
  type: Type.Optional(Type.String({ maxLength: 40 })),
  status: Type.Optional(Type.String({ maxLength: 40 })),
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const OrderIdParam = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const CreateOrderBody = Type.Object(
  {
    products: Type.Array(
      Type.Object({ product_id: Type.Integer({ minimum: 1 }), quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 50 },
    ),
    delivery_address: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Line({ maxLength: 200 }), { maxProperties: 20 })),
    customer_reference: Type.Optional(Line({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false, examples: [{ products: [{ product_id: 1001, quantity: 10 }], customer_reference: 'PO-2025-17' }] },
);
export type CreateOrderBody = Static<typeof CreateOrderBody>;

export const AccountQuery = Type.Object({ account: AccountQueryProperty });

export const OrderSyncSchema = Type.Object({
  account_id: Type.String(),
  fetched: Type.Integer(),
  pages: Type.Integer(),
});
