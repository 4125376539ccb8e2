/**
 * The account operations of the 1NCE client that cost money or change the contract: top-ups,
 * orders, the product catalogue, support tickets, limits, extensions and automatic top-up.
 */
import type { ProviderClient } from './client.interface.js';
import { clampPageSize, pageNumber } from './paging.js';
import { decodeLimits, decodeOrder, decodeProduct, decodeSupportTicket } from './decoders.commerce.js';
import { seg, type Requests } from './requests.js';

type CommerceOperations = Pick<
  ProviderClient,
  | 'topUp'
  | 'topUpMany'
  | 'listOrders'
  | 'getOrder'
  | 'createOrder'
  | 'listProducts'
  | 'listSupportTickets'
  | 'createSupportTicket'
  | 'getLimits'
  | 'setLimits'
  | 'extendSims'
  | 'setAutoTopup'
>;

/** Top-up, order, product, support, limit and extension operations over `requests`. */
export function commerceOperations({
  send,
  decode,
  getOne,
  page,
  orderReference,
}: Requests): CommerceOperations {
  return {
    async topUp(iccid, call) {
      const response = await send(
        {
          operation: 'topUp',
          family: 'sims',
          method: 'POST',
          path: `/v2/sims/${seg(iccid)}/topup`,
          query: { payment_method: call?.paymentMethod },
          idempotent: false,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
      );
      return orderReference(response);
    },

    async topUpMany(iccids, call) {
      const response = await send(
        {
          operation: 'topUpMany',
          family: 'sims',
          method: 'POST',
          path: '/v1/sims/topup',
          query: { payment_method: call?.paymentMethod },
          body: iccids,
          idempotent: false,
        },
        call,
      );
      return orderReference(response);
    },

    async listOrders(call) {
      const pageNo = pageNumber(call?.page);
      const pageSize = clampPageSize(call?.pageSize, 10, 10);
      const response = await send(
        {
          operation: 'listOrders',
          family: 'orders',
          method: 'GET',
          path: '/v1/orders',
          query: { page: pageNo, pageSize },
          idempotent: true,
        },
        call,
      );
      return page('listOrders', response, decodeOrder, pageNo, pageSize);
    },

    getOrder: (orderNumber, call) =>
      getOne(
        {
          operation: 'getOrder',
          family: 'orders',
          path: `/v1/orders/${seg(orderNumber)}`,
          notFound: { resource: 'order', id: orderNumber },
        },
        call,
        decodeOrder,
      ),

    async createOrder(order, call) {
      const body: Record<string, unknown> = {
        products: order.products.map((p) => ({ productId: p.productId, quantity: p.quantity })),
      };
      if (order.deliveryAddress !== undefined) body.delivery_address = order.deliveryAddress;
      if (order.customerReference !== undefined) body.customer_reference = order.customerReference;
      const response = await send(
        {
          operation: 'createOrder',
          family: 'orders',
          method: 'POST',
          path: '/v1/orders',
          body,
          idempotent: false,
        },
        call,
      );
      const reference = orderReference(response);
      if (
        reference.orderNumber === null &&
        response.body !== undefined &&
        typeof response.body === 'object'
      ) {
        const echoed = (response.body as { order_number?: unknown }).order_number;
        if (typeof echoed === 'string' || typeof echoed === 'number')
          return { orderNumber: String(echoed), location: reference.location };
      }
      return reference;
    },

    async listProducts(call) {
      const response = await send(
        {
          operation: 'listProducts',
          family: 'products',
          method: 'GET',
          path: '/v1/products',
          idempotent: true,
        },
        call,
      );
      return page('listProducts', response, decodeProduct, 1, 0).items;
    },

    async listSupportTickets(call) {
      const pageNo = pageNumber(call?.page);
      const pageSize = clampPageSize(call?.pageSize, 100, 100);
      const response = await send(
        {
          operation: 'listSupportTickets',
          family: 'support',
          method: 'GET',
          path: '/v1/support',
          query: { page: pageNo, pageSize },
          idempotent: true,
        },
        call,
      );
      return page('listSupportTickets', response, decodeSupportTicket, pageNo, pageSize);
    },

    async createSupportTicket(ticket, call) {
      await send(
        {
          operation: 'createSupportTicket',
          family: 'support',
          method: 'POST',
          path: '/v1/support',
          body: {
            replyToMail: ticket.replyToMail,
            senderName: ticket.senderName,
            subject: ticket.subject,
            text: ticket.text,
          },
          idempotent: false,
        },
        call,
      );
    },

    async getLimits(call) {
      const response = await send(
        { operation: 'getLimits', family: 'sims', method: 'GET', path: '/v1/sims/limits', idempotent: true },
        call,
      );
      return decode('getLimits', response, decodeLimits);
    },

    async setLimits(limits, call) {
      await send(
        {
          operation: 'setLimits',
          family: 'sims',
          method: 'POST',
          path: '/v1/sims/limits',
          body: {
            dataLimitId: limits.dataLimitId,
            smsMtLimitId: limits.smsMtLimitId,
            smsMoLimitId: limits.smsMoLimitId,
          },
          // Setting the same limits twice is harmless.
          idempotent: true,
        },
        call,
      );
    },

    async extendSims(input, call) {
      await send(
        {
          operation: 'extendSims',
          family: 'sims',
          method: 'POST',
          path: '/v1/sims/extension',
          query: { payment_method: call?.paymentMethod },
          body: {
            iccids: input.iccids,
            ...(input.productId !== undefined && { productId: input.productId }),
          },
          idempotent: false,
        },
        call,
      );
    },

    async setAutoTopup(input, call) {
      await send(
        {
          operation: 'setAutoTopup',
          family: 'sims',
          method: 'POST',
          path: '/v1/sims/autoTopup',
          body: { enabled: input.enabled, iccids: input.iccids },
          idempotent: true,
        },
        call,
      );
    },
  };
}
