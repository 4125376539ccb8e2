import { Type, type Static } from 'typebox';
import { Nullable } from '../../lib/schemas.js';
import { AccountQueryProperty } from '../orders/orders.schemas.js';

/** Response schemas of the product catalogue routes. */

const ChargeSchema = Type.Object({
  name: Nullable(Type.String()),
  amount_net: Nullable(Type.Number({ description: 'Net amount as 1NCE reports it' })),
  currency: Nullable(Type.String()),
});

export const ProductSchema = Type.Object(
  {
    account_id: Type.String(),
    product_id: Type.Integer(),
    name: Type.String(),
    material: Nullable(Type.String()),
    package_size: Nullable(Type.Integer()),
    min_quantity: Nullable(Type.Integer()),
    max_quantity: Nullable(Type.Integer()),
    max_quantity_per_customer: Nullable(Type.Integer()),
    min_contract_duration_months: Nullable(Type.Integer()),
    one_time_charges: Type.Array(ChargeSchema),
    recurring_charges: Type.Array(ChargeSchema),
    synced_at: Type.String({ format: 'date-time' }),
  },
  {
    examples: [
      {
        account_id: '0b5e1a2c-6f0e-4d38-9f49-5d8a2c1e0f11',
        product_id: 1001,
        name: '1NCE IoT FlexSIM - Standard',
        material: '1NCE FlexSIM',
        package_size: 1,
        min_quantity: 1,
        max_quantity: 1000,
        max_quantity_per_customer: 100000,
        min_contract_duration_months: 120,
        one_time_charges: [{ name: 'provisionCharge', amount_net: 10, currency: 'EUR' }],
        recurring_charges: [],
        synced_at: '2025-06-15T12:00:00.000Z',
      },
    ],
  },
);
export type ProductDto = Static<typeof ProductSchema>;

export const ProductListSchema = Type.Object({ items: Type.Array(ProductSchema), total: Type.Integer() });

export const ProductIdParam = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const ProductsQuery = Type.Object({ account: AccountQueryProperty });
