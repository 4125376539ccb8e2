import { Type } from 'typebox';
import { parseSimFilter, parseSort } from '../../modules/sims/sims.filter.js';
import { ListCursor, PatchSimBody, SimFilterProperties } from '../../modules/sims/sims.schemas.js';
import type { SimsService } from '../../modules/sims/sims.service.js';
import { defineTool, type Tool } from '../tool.js';
import { Args, IccidArg } from './schemas.js';

/** Pages of SIMs an assistant reads at once: smaller than the API's 500, since every row lands in a model's context. */
const MAX_PAGE_SIZE = 100;

/** SIM list, detail and changes: GET /sims, GET /sims/{iccid}, PATCH /sims/{iccid}. */
export function simTools(sims: SimsService): Tool[] {
  return [
    defineTool({
      name: 'find_sims',
      title: 'Find SIMs',
      description:
        'List SIMs with the same filters as GET /api/v1/sims: text search q (ICCID, IMSI, MSISDN, IMEI, label), status, tag, account, ' +
        'connectivity (ONLINE, ATTACHED, OFFLINE, BLOCKED, UNKNOWN), quota_below (percent of data left), last_seen_after/before, source, ' +
        'sort (e.g. "data_remaining_pct" or "-last_seen_at"). Paged: pass next_cursor back as cursor for the next page.',
      policy: 'viewer',
      readOnly: true,
      input: Args({
        ...SimFilterProperties,
        page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1 })),
        page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })),
        cursor: Type.Optional(ListCursor('next_cursor of the previous page')),
      }),
      run: async ({ page = 1, page_size = 20, sort, cursor, ...filter }) => sims.list(parseSimFilter(filter), parseSort(sort), page, page_size, cursor),
    }),
    defineTool({
      name: 'get_sim',
      title: 'SIM details',
      description: 'One SIM as stored: identifiers, status, label, tags, IMEI lock, connectivity, data and SMS quota left, expiry, and how fresh the record is.',
      policy: 'viewer',
      readOnly: true,
      input: Args({ iccid: IccidArg }),
      run: async ({ iccid }) => sims.get(iccid),
    }),
    defineTool({
      name: 'update_sim',
      title: 'Label or tag a SIM',
      description: 'Set a SIM\'s label (changed at 1NCE first) and/or replace its tags (ours). Same as PATCH /api/v1/sims/{iccid}.',
      policy: 'operator',
      readOnly: false,
      idempotent: true,
      input: Type.Object(
        { iccid: IccidArg, label: Type.Optional(PatchSimBody.properties.label), tags: Type.Optional(PatchSimBody.properties.tags) },
        { additionalProperties: false, minProperties: 2 },
      ),
      run: async ({ iccid, ...changes }, caller) => sims.patch(iccid, changes, caller.ctx),
    }),
    defineTool({
      name: 'set_sim_status',
      title: 'Enable or disable a SIM',
      description: 'Enable or disable a SIM at 1NCE (a disabled SIM cannot attach or use data). Same as PATCH /api/v1/sims/{iccid} with status.',
      policy: 'operator',
      readOnly: false,
      idempotent: true,
      input: Args({ iccid: IccidArg, status: Type.Union([Type.Literal('Enabled'), Type.Literal('Disabled')]) }),
      run: async ({ iccid, status }, caller) => sims.patch(iccid, { status }, caller.ctx),
    }),
  ];
}
