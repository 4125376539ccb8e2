/**
 * The SIM operations of the 1NCE client: listing (every page, prefetched), reading and changing a SIM,
 * its connectivity, its daily usage (through the usage seam) and its quotas.
 */
import {
  STREAMER_ONLY_USAGE,
  type ListAllOptions,
  type ProviderClient,
  type UsageSourceConfig,
} from './client.interface.js';
import { ProviderOperationRetired } from './errors.js';
import { clampPageSize, prefetchPages } from './paging.js';
import {
  decodeConnectivity,
  decodeConnectivityInfo,
  decodeQuota,
  decodeSim,
  decodeUsage,
} from './decoders.sims.js';
import type { CallOptions, ProviderPage, ProviderSim } from './provider.types.js';
import { day, seg, type Requests } from './requests.js';

/** 1NCE's largest /sims page. */
const MAX_SIM_PAGE = 100;

type SimOperations = Pick<
  ProviderClient,
  | 'listSims'
  | 'listSimsPage'
  | 'getSim'
  | 'updateSim'
  | 'bulkUpdateSims'
  | 'getConnectivity'
  | 'getConnectivityInfo'
  | 'resetConnectivity'
  | 'getUsage'
  | 'getDataQuota'
  | 'getSmsQuota'
>;

/** SIM, connectivity, usage and quota operations over `requests`; usage comes from `usageSource`. */
export function simOperations(
  { send, getOne, page }: Requests,
  usageSource: UsageSourceConfig,
): SimOperations {
  async function listSimsPage(
    pageNo: number,
    call?: CallOptions & { pageSize?: number },
  ): Promise<ProviderPage<ProviderSim>> {
    const pageSize = clampPageSize(call?.pageSize, MAX_SIM_PAGE, MAX_SIM_PAGE);
    const response = await send(
      {
        operation: 'listSims',
        family: 'sims',
        method: 'GET',
        path: '/v2/sims',
        query: { page: pageNo, pageSize },
        idempotent: true,
      },
      call,
    );
    return page('listSims', response, decodeSim, pageNo, pageSize);
  }

  function listSims(call: ListAllOptions = {}): AsyncIterableIterator<ProviderSim> {
    const pageSize = clampPageSize(call.pageSize, MAX_SIM_PAGE, MAX_SIM_PAGE);
    return prefetchPages((n, signal) => listSimsPage(n, { ...call, pageSize, signal }), {
      pageSize,
      concurrency: call.concurrency ?? 4,
      signal: call.signal,
    });
  }

  return {
    listSims,
    listSimsPage,

    getSim: (iccid, call) =>
      getOne(
        {
          operation: 'getSim',
          family: 'sims',
          path: `/v2/sims/${seg(iccid)}`,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
        decodeSim,
      ),

    async updateSim(iccid, update, call) {
      const body: Record<string, unknown> = {};
      if (update.label !== undefined) body.label = update.label;
      if (update.status !== undefined) body.status = update.status;
      if (update.imeiLock !== undefined) body.imei_lock = update.imeiLock;
      await send(
        {
          operation: 'updateSim',
          family: 'sims',
          method: 'PUT',
          path: `/v2/sims/${seg(iccid)}`,
          body,
          idempotent: true,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
      );
    },

    async bulkUpdateSims(updates, call) {
      const body = updates.map((u) => ({
        iccid: u.iccid,
        ...(u.label !== undefined && { label: u.label }),
        ...(u.status !== undefined && { status: u.status }),
        ...(u.imeiLock !== undefined && { imei_lock: u.imeiLock }),
      }));
      // Setting absolute values twice yields the same state, so the bulk update is safe to retry.
      await send(
        {
          operation: 'bulkUpdateSims',
          family: 'sims',
          method: 'POST',
          path: '/v1/sims',
          body,
          idempotent: true,
        },
        call,
      );
    },

    getConnectivity: (iccid, call) =>
      getOne(
        {
          operation: 'getConnectivity',
          family: 'sims',
          path: `/v2/sims/${seg(iccid)}/status`,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
        decodeConnectivity,
      ),

    getConnectivityInfo: (iccid, call) =>
      getOne(
        {
          operation: 'getConnectivityInfo',
          family: 'sims',
          path: `/v1/sims/${seg(iccid)}/connectivity_info`,
          query: { subscriber: call?.subscriber ?? true, ussd: call?.ussd ?? false },
          notFound: { resource: 'sim', id: iccid },
        },
        call,
        decodeConnectivityInfo,
      ),

    async resetConnectivity(iccid, call) {
      // A reset is a detach/re-attach; doing it twice is harmless, so transient failures are retried.
      await send(
        {
          operation: 'resetConnectivity',
          family: 'sims',
          method: 'POST',
          path: `/v2/sims/${seg(iccid)}/reset`,
          idempotent: true,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
      );
    },

    async getUsage(iccid, range, call) {
      const query = { start_dt: day(range.from), end_dt: day(range.to) };
      const notFound = { resource: 'sim', id: iccid };
      const v2Path = usageSource.v2Path;
      if (usageSource.source === 'streamer' || (usageSource.source === 'v2' && v2Path === undefined)) {
        throw new ProviderOperationRetired(
          { operation: 'getUsage', path: 'usage polling (ONCE_USAGE_SOURCE=streamer)' },
          STREAMER_ONLY_USAGE,
        );
      }
      if (v2Path !== undefined && usageSource.source !== 'v1') {
        const path = v2Path.replace('{iccid}', seg(iccid));
        return getOne({ operation: 'getUsageV2', family: 'sims', path, query, notFound }, call, decodeUsage);
      }
      return getOne(
        { operation: 'getUsage', family: 'sims', path: `/v1/sims/${seg(iccid)}/usage`, query, notFound },
        call,
        decodeUsage,
      );
    },

    getDataQuota: (iccid, call) =>
      getOne(
        {
          operation: 'getDataQuota',
          family: 'sims',
          path: `/v2/sims/${seg(iccid)}/quota/data`,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
        (body) => decodeQuota(body, 'data'),
      ),

    getSmsQuota: (iccid, call) =>
      getOne(
        {
          operation: 'getSmsQuota',
          family: 'sims',
          path: `/v2/sims/${seg(iccid)}/quota/sms`,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
        (body) => decodeQuota(body, 'sms'),
      ),
  };
}
