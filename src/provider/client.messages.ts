/**
 * The messaging and event operations of the 1NCE client: SMS to and from a SIM (send, list, read,
 * cancel) and a SIM's network events.
 */
import type { ProviderClient } from './client.interface.js';
import { ProviderBadResponse } from './errors.js';
import { clampPageSize, pageNumber } from './paging.js';
import { idFromLocation } from './decode.js';
import { decodeEvent, decodeIdResponse, decodeSms, unwrapEvents } from './decoders.messages.js';
import { seg, type Requests } from './requests.js';

type MessageOperations = Pick<ProviderClient, 'sendSms' | 'listSms' | 'getSms' | 'cancelSms' | 'listEvents'>;

/** SMS and event operations over `requests`. */
export function messageOperations({ send, decode, getOne, page }: Requests): MessageOperations {
  return {
    async sendSms(iccid, message, call) {
      const body: Record<string, unknown> = { payload: message.payload };
      if (message.sourceAddress !== undefined) body.source_address = message.sourceAddress;
      if (message.udh !== undefined) body.udh = message.udh;
      if (message.dcs !== undefined) body.dcs = message.dcs;
      if (message.sourceAddressType !== undefined)
        body.source_address_type = { id: message.sourceAddressType };
      if (message.expiresAt !== undefined) body.expiry_date = message.expiresAt.toISOString();
      const response = await send(
        {
          operation: 'sendSms',
          family: 'sims',
          method: 'POST',
          path: `/v2/sims/${seg(iccid)}/sms`,
          body,
          idempotent: false,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
      );
      // v2 answers {"id": "..."}; v1 (and some gateways) only a Location header.
      const id =
        response.body !== undefined
          ? decode('sendSms', response, decodeIdResponse)
          : idFromLocation(response.headers.get('location'));
      if (id === null) {
        throw new ProviderBadResponse(
          { operation: 'sendSms', upstreamStatus: response.status, mayHaveBeenProcessed: true },
          '1NCE accepted the SMS but returned no id',
        );
      }
      return { id };
    },

    async listSms(iccid, call) {
      const pageNo = pageNumber(call?.page);
      const perPage = clampPageSize(call?.perPage, 100, 1000);
      const response = await send(
        {
          operation: 'listSms',
          family: 'sims',
          method: 'GET',
          path: `/v2/sims/${seg(iccid)}/sms`,
          query: { page: pageNo, per_page: perPage },
          idempotent: true,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
      );
      return page('listSms', response, decodeSms, pageNo, perPage);
    },

    getSms: (iccid, id, call) =>
      getOne(
        {
          operation: 'getSms',
          family: 'sims',
          path: `/v2/sims/${seg(iccid)}/sms/${seg(id)}`,
          notFound: { resource: 'sms', id },
        },
        call,
        decodeSms,
      ),

    async cancelSms(iccid, id, call) {
      // Cancelling an already cancelled SMS changes nothing, so DELETE is retried like a GET.
      await send(
        {
          operation: 'cancelSms',
          family: 'sims',
          method: 'DELETE',
          path: `/v2/sims/${seg(iccid)}/sms/${seg(id)}`,
          idempotent: true,
          notFound: { resource: 'sms', id },
        },
        call,
      );
    },

    async listEvents(iccid, call) {
      const pageNo = pageNumber(call?.page);
      const pageSize = clampPageSize(call?.pageSize, 100, 1000);
      const response = await send(
        {
          operation: 'listEvents',
          family: 'sims',
          method: 'GET',
          path: `/v2/sims/${seg(iccid)}/events`,
          query: { page: pageNo, pageSize },
          idempotent: true,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
      );
      return page('listEvents', response, decodeEvent, pageNo, pageSize, unwrapEvents);
    },
  };
}
