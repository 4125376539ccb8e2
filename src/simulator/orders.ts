/**
 * Orders, products, support tickets and the organisation's self-set limits: small stores seeded
 * deterministically so a reset brings back the same account.
 */
import { DAY_MS } from './formats.js';
import type { Fleet } from './fleet.js';

export type OrderType = 'FIRST_ORDER' | 'ADDITIONAL_ORDER' | 'TOPUP' | 'BULK_TOPUP' | 'TARIFF_CHANGE';

/** One order as 1NCE's Order schema describes it (dates kept as ms until rendering). */
export interface Order {
  orderNumber: number;
  type: OrderType;
  dateMs: number;
  status: string;
  invoiceNumber: string;
  invoiceAmount: string;
  currency: string;
  iccids: string[];
  products: Array<{ product_id: number; quantity: number }>;
  paymentMethod: string;
  customerReference: string | undefined;
}

/** A support case (Service_request). */
export interface Ticket {
  caseId: string;
  createMs: number;
  solvedMs: number | undefined;
  status: 'OPEN' | 'IN_PROGRESS' | 'CLOSED';
  subject: string;
  text: string;
  communications: Array<{ id: string; dateMs: number; direction: 'IN' | 'OUT'; originator: string; subject: string; text: string; type: string }>;
}

export const PRODUCTS = [
  { id: 1001, product: '1NCE IoT FlexSIM - Standard', material: '1NCE FlexSIM', package_size: 1, minQuantity: 1, maxQuantity: 1000, maxQuantityPerCustomer: 100000, min_contract_duration: 120, one_time_charges: [{ name: 'provisionCharge', amount_net: 10, currency: 'EUR' }], recurring_charges: [] },
  { id: 1002, product: '1NCE IoT FlexSIM - Industrial', material: '1NCE FlexSIM Industrial', package_size: 1, minQuantity: 1, maxQuantity: 1000, maxQuantityPerCustomer: 100000, min_contract_duration: 120, one_time_charges: [{ name: 'provisionCharge', amount_net: 12, currency: 'EUR' }], recurring_charges: [] },
  { id: 1101, product: '1NCE Top-Up 500 MB / 250 SMS', material: 'Top-Up', package_size: 1, minQuantity: 1, maxQuantity: 1, maxQuantityPerCustomer: 1000000, min_contract_duration: 0, one_time_charges: [{ name: 'topupCharge', amount_net: 10, currency: 'EUR' }], recurring_charges: [] },
  { id: 1201, product: '1NCE Lifetime Extension 10 years', material: 'Extension', package_size: 1, minQuantity: 1, maxQuantity: 1, maxQuantityPerCustomer: 1000000, min_contract_duration: 120, one_time_charges: [{ name: 'extensionCharge', amount_net: 10, currency: 'EUR' }], recurring_charges: [] },
] as const;

export const PAYMENT_METHODS = ['banktransfer', 'creditcard', 'monthlyinvoice', 'boleto'] as const;

/** Selectable self-set limits per service (`/v1/sims/{service}/limits`). */
export const LIMIT_OPTIONS: Record<'data' | 'smsMT' | 'smsMO', Array<{ id: number; limit: string; unit: string }>> = {
  data: [1, 16, 32, 64, 128, 256, 512, 1024].map((v, i) => ({ id: i + 1, limit: String(v), unit: 'MB' })),
  smsMT: [5, 10, 20, 50, 100, 250].map((v, i) => ({ id: i + 1, limit: String(v), unit: 'SMS' })),
  smsMO: [5, 10, 20, 50, 100, 250].map((v, i) => ({ id: i + 1, limit: String(v), unit: 'SMS' })),
};

/** Creates the seeded account stores. */
export function createAccountStore(fleet: Fleet) {
  const epoch = fleet.epochMs;
  const firstIccids = Array.from({ length: Math.min(fleet.size, 10) }, (_, i) => fleet.sim(i).iccid);
  const orders: Order[] = [
    order(2_000_000_001, 'FIRST_ORDER', epoch - 400 * DAY_MS, firstIccids, [{ product_id: 1001, quantity: fleet.size }], '10.00'),
    order(2_000_000_002, 'ADDITIONAL_ORDER', epoch - 120 * DAY_MS, [], [{ product_id: 1001, quantity: 50 }], '500.00'),
    order(2_000_000_003, 'TOPUP', epoch - 30 * DAY_MS, fleet.size > 0 ? [fleet.sim(0).iccid] : [], [{ product_id: 1101, quantity: 1 }], '10.00'),
  ];
  const tickets: Ticket[] = [
    ticket('5001234', epoch - 60 * DAY_MS, 'CLOSED', 'SIMs not attaching in Sweden', 'Several devices do not attach to Telia since yesterday.'),
    ticket('5001298', epoch - 3 * DAY_MS, 'IN_PROGRESS', 'Invoice address change', 'Please update our invoice address.'),
  ];
  const limits = { data: 0, smsMT: 0, smsMO: 0 };
  let nextOrder = 2_000_000_004;
  let nextCase = 5_001_300;

  return {
    orders,
    tickets,
    limits,
    createOrder(input: { type: OrderType; dateMs: number; iccids: string[]; products: Order['products']; paymentMethod?: string; customerReference?: string }): Order {
      const amount = (input.products.reduce((sum, p) => sum + p.quantity, 0) * 10).toFixed(2);
      const created = order(nextOrder++, input.type, input.dateMs, input.iccids, input.products, amount);
      created.paymentMethod = input.paymentMethod ?? 'banktransfer';
      created.customerReference = input.customerReference;
      // Top-ups are booked at once; shipped orders stay in progress.
      created.status = input.type === 'ADDITIONAL_ORDER' ? 'IN_PROGRESS' : 'COMPLETED';
      orders.push(created);
      return created;
    },
    createTicket(input: { subject: string; text: string; senderName: string; dateMs: number }): Ticket {
      const created = ticket(String(nextCase++), input.dateMs, 'OPEN', input.subject, input.text, input.senderName);
      tickets.push(created);
      return created;
    },
  };
}

function order(orderNumber: number, type: OrderType, dateMs: number, iccids: string[], products: Order['products'], invoiceAmount: string): Order {
  return {
    orderNumber,
    type,
    dateMs,
    status: 'COMPLETED',
    invoiceNumber: `INV-${orderNumber}`,
    invoiceAmount,
    currency: 'EUR',
    iccids,
    products,
    paymentMethod: 'banktransfer',
    customerReference: undefined,
  };
}

function ticket(caseId: string, createMs: number, status: Ticket['status'], subject: string, text: string, originator = 'API User'): Ticket {
  return {
    caseId,
    createMs,
    solvedMs: status === 'CLOSED' ? createMs + 2 * DAY_MS : undefined,
    status,
    subject,
    text,
    communications: [{ id: `${caseId}-1`, dateMs: createMs, direction: 'IN', originator, subject, text, type: 'PORTAL' }],
  };
}
