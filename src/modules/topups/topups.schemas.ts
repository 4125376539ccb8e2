import { Type, type Static } from 'typebox';
import { OrderSchema } from '../orders/orders.schemas.js';

/** Request and response schemas of the top-up route. */

export const PaymentMethodSchema = Type.Union(
  [Type.Literal('banktransfer'), Type.Literal('creditcard'), Type.Literal('monthlyinvoice'), Type.Literal('boleto')],
  { description: '1NCE payment method (default banktransfer)' },
);

export const TopupBody = Type.Object(
  { payment_method: Type.Optional(PaymentMethodSchema) },
  { additionalProperties: false, examples: [{ payment_method: 'banktransfer' }] },
);
export type TopupBody = Static<typeof TopupBody>;

export const TopupHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Makes retries safe: the same key with the same request returns the stored answer without booking again',
      examples: ['9b2f6c1e-topup-2025-06-15'],
    }),
  ),
});

export const TopupSchema = Type.Object(
  {
    iccid: Type.String(),
    payment_method: PaymentMethodSchema,
    order: OrderSchema,
  },
  { description: 'The top-up as the order it created at 1NCE' },
);
export type TopupDto = Static<typeof TopupSchema>;
