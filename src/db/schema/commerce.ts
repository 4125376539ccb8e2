/** Row types of the product catalogue, orders and support tickets. */
import type { Generated } from 'kysely';
import type { GeneratedJsonArray, GeneratedTimestamp, Json, JsonObject, Numeric, Timestamp } from './columns.js';

export interface ProductsTable {
  account_id: string;
  product_id: number;
  name: string;
  material: string | null;
  package_size: number | null;
  min_quantity: number | null;
  max_quantity: number | null;
  max_quantity_per_customer: number | null;
  min_contract_duration_months: number | null;
  one_time_charges: GeneratedJsonArray;
  recurring_charges: GeneratedJsonArray;
  raw: Json | null;
  synced_at: GeneratedTimestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface OrdersTable {
  id: Generated<number>;
  account_id: string;
  order_number: string | null;
  order_type: string | null;
  status: string | null;
  order_date: Timestamp | null;
  invoice_number: string | null;
  invoice_amount: Numeric | null;
  currency: string | null;
  shipping_address: Json<JsonObject> | null;
  customer_reference: string | null;
  idempotency_key: string | null;
  created_by_user_id: number | null;
  raw: Json | null;
  last_synced_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** Either a product line (`iccid` null) or a SIM line (`iccid` set). */
export interface OrderItemsTable {
  id: Generated<number>;
  order_id: number;
  product_id: number | null;
  iccid: string | null;
  quantity: Generated<number>;
  unit_price: Numeric | null;
  description: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface SupportTicketsTable {
  id: Generated<number>;
  account_id: string;
  case_id: string | null;
  subject: string | null;
  text: string | null;
  status: string | null;
  reply_to_mail: string | null;
  sender_name: string | null;
  create_date: Timestamp | null;
  solved_date: Timestamp | null;
  communications: GeneratedJsonArray;
  created_by_user_id: number | null;
  raw: Json | null;
  last_synced_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}
