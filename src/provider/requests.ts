/**
 * How one client call becomes a request and its answer a domain object: v1 operations already known
 * to be retired are answered locally, responses are decoded (a shape problem is a
 * ProviderBadResponse), a GET of one resource turns 1NCE's empty 200 into a 404, a list response into
 * a page. The operation files (client.sims.ts, client.messages.ts, client.commerce.ts) build on it.
 */
import { utcDay } from '../lib/time.js';
import type { OperationAvailability } from './availability.js';
import { STREAMER_ONLY_USAGE } from './client.interface.js';
import { ProviderBadResponse, ProviderNotFound, ProviderOperationRetired } from './errors.js';
import { pageFromList } from './paging.js';
import { DecodeError, idFromLocation } from './decode.js';
import type { CallOptions, OrderReference, ProviderPage } from './provider.types.js';
import type { ProviderLogger, ProviderResponse, RequestSpec, Transport } from './transport.js';

/** A path segment (an ICCID, an SMS id), URL-encoded. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** `YYYY-MM-DD` of a day given as text or as a Date (its UTC day). */
export function day(value: string | Date): string {
  return typeof value === 'string' ? value : utcDay(value.getTime());
}

export interface RequestsOptions {
  accountKey: string;
  transport: Transport;
  availability: OperationAvailability;
  logger?: ProviderLogger | undefined;
}

/** The request helpers of one account's client. */
export function createRequests(options: RequestsOptions) {
  const { transport, availability, logger } = options;

  /**
   * Every request goes through here: a v1 operation already known to be retired for this account is
   * answered locally; a retirement signal from 1NCE is recorded once; a success lifts a stale record.
   */
  async function send(spec: RequestSpec, call?: CallOptions): Promise<ProviderResponse> {
    if (!spec.path.startsWith('/v1/')) return transport.request(spec, call);
    const retired = availability.check(options.accountKey, spec.operation);
    if (retired !== undefined) {
      throw new ProviderOperationRetired(
        {
          operation: spec.operation,
          path: retired.path,
          since: retired.since,
          ...(retired.upstreamStatus !== undefined && { upstreamStatus: retired.upstreamStatus }),
        },
        spec.operation === 'getUsage' ? STREAMER_ONLY_USAGE : undefined,
      );
    }
    try {
      const response = await transport.request(spec, call);
      await availability.markAvailable(options.accountKey, spec.operation);
      return response;
    } catch (error) {
      if (!(error instanceof ProviderOperationRetired)) throw error;
      const entry = await availability.markRetired({
        accountKey: options.accountKey,
        operation: spec.operation,
        path: spec.path.replace(/\/sims\/\d{10,22}(?=\/|$)/, '/sims/{iccid}'),
        upstreamStatus: (error.extensions?.upstreamStatus as number | undefined) ?? undefined,
      });
      throw new ProviderOperationRetired(
        {
          operation: spec.operation,
          path: entry.path,
          since: entry.since,
          ...(entry.upstreamStatus !== undefined && { upstreamStatus: entry.upstreamStatus }),
          cause: error,
        },
        spec.operation === 'getUsage' ? STREAMER_ONLY_USAGE : undefined,
      );
    }
  }

  /** Runs a decoder, turning shape problems into ProviderBadResponse. */
  function decode<T>(operation: string, response: ProviderResponse, decoder: (body: unknown) => T): T {
    try {
      return decoder(response.body);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      throw new ProviderBadResponse({
        operation,
        upstreamStatus: response.status,
        upstreamMessage: error.message,
        cause: error,
      });
    }
  }

  /** GET of one resource: 1NCE answers an unknown ICCID with 200 and an empty body (observed), or 404 (spec). */
  async function getOne<T>(
    spec: Omit<RequestSpec, 'method' | 'idempotent'> & { notFound: { resource: string; id: string } },
    call: CallOptions | undefined,
    decoder: (body: unknown) => T,
  ): Promise<T> {
    const response = await send({ ...spec, method: 'GET', idempotent: true }, call);
    if (response.body === undefined) {
      throw new ProviderNotFound(spec.notFound.resource, spec.notFound.id, {
        operation: spec.operation,
        upstreamStatus: response.status,
      });
    }
    return decode(spec.operation, response, decoder);
  }

  /** One page of a list response (an empty body is an empty page); undecodable items are logged and dropped. */
  function page<T>(
    operation: string,
    response: ProviderResponse,
    decoder: (item: unknown) => T,
    pageNo: number,
    pageSize: number,
    unwrap: (body: unknown) => unknown = (b) => b,
  ): ProviderPage<T> {
    const body = response.body === undefined ? [] : unwrap(response.body);
    return decode(operation, { ...response, body }, (b) =>
      pageFromList(b, response.headers, decoder, { page: pageNo, pageSize }, (index, error) =>
        logger?.warn(
          { operation, page: pageNo, index, reason: error.message },
          'dropped an undecodable item from 1NCE',
        ),
      ),
    );
  }

  /** The order a POST created, from its Location header. */
  function orderReference(response: ProviderResponse): OrderReference {
    const location = response.headers.get('location');
    return { orderNumber: idFromLocation(location), location };
  }

  return { send, decode, getOne, page, orderReference };
}

export type Requests = ReturnType<typeof createRequests>;
