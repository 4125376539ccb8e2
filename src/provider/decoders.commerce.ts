/** Decoders of 1NCE's order, product, support ticket and limit payloads. */
import { checked, parseProviderDate, toNumber, toInt, toIdString, str } from './decode.js';
import { validators } from './provider.schemas.js';
import type {
  ProviderLimit,
  ProviderLimits,
  ProviderOrder,
  ProviderProduct,
  ProviderSupportTicket,
} from './provider.types.js';

/** `Order` to ProviderOrder. */
export function decodeOrder(value: unknown): ProviderOrder {
  const raw = checked(validators.order, value, 'order');
  return {
    orderNumber: String(raw.order_number),
    type: str(raw.order_type),
    status: str(raw.order_status),
    orderedAt: parseProviderDate(raw.order_date),
    invoiceNumber: str(raw.invoice_number),
    invoiceAmount:
      raw.invoice_amount === null || raw.invoice_amount === undefined ? null : String(raw.invoice_amount),
    currency: str(raw.currency),
    iccids: (raw.sims ?? []).flatMap((s) => (typeof s.iccid === 'string' && s.iccid !== '' ? [s.iccid] : [])),
    products: (raw.products ?? []).map((p) => ({
      productId: toIdString(p.product_id ?? p.productId),
      quantity: toInt(p.quantity),
    })),
    raw,
  };
}

function chargesOf(
  list: Array<{ name?: string | null; amount_net?: unknown; currency?: string | null }> | null | undefined,
) {
  return (list ?? []).map((c) => ({
    name: str(c.name),
    amountNet: toNumber(c.amount_net),
    currency: str(c.currency),
  }));
}

/** `Product` to ProviderProduct. */
export function decodeProduct(value: unknown): ProviderProduct {
  const raw = checked(validators.product, value, 'product');
  return {
    id: String(raw.id),
    name: str(raw.product),
    material: str(raw.material),
    packageSize: toNumber(raw.package_size),
    minQuantity: toNumber(raw.minQuantity),
    maxQuantity: toNumber(raw.maxQuantity),
    maxQuantityPerCustomer: toNumber(raw.maxQuantityPerCustomer),
    minContractDurationMonths: toNumber(raw.min_contract_duration),
    oneTimeCharges: chargesOf(raw.one_time_charges),
    recurringCharges: chargesOf(raw.recurring_charges),
    raw,
  };
}

/** `Service_request` to ProviderSupportTicket. */
export function decodeSupportTicket(value: unknown): ProviderSupportTicket {
  const raw = checked(validators.supportTicket, value, 'support ticket');
  return {
    caseId: String(raw.caseId),
    subject: str(raw.subject),
    text: str(raw.text),
    status: str(raw.status),
    createdAt: parseProviderDate(raw.createDate),
    solvedAt: parseProviderDate(raw.solvedDate),
    communications: (raw.communications ?? []).map((c) => ({
      id: toIdString(c.id),
      at: parseProviderDate(c.communicationDate),
      direction: str(c.direction),
      originator: str(c.originator),
      subject: str(c.subject),
      text: str(c.text),
      type: str(c.type),
    })),
    raw,
  };
}

function limitOf(
  value: { id?: unknown; limit?: unknown; unit?: string | null } | null | undefined,
): ProviderLimit | null {
  if (value === null || value === undefined) return null;
  return { id: toInt(value.id), limit: toNumber(value.limit), unit: str(value.unit) };
}

/** `Values_for_Limits` to ProviderLimits. */
export function decodeLimits(value: unknown): ProviderLimits {
  const raw = checked(validators.limits, value, 'limits');
  return { data: limitOf(raw.data), smsMt: limitOf(raw.smsMt), smsMo: limitOf(raw.smsMo), raw };
}
