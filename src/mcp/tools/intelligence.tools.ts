import { Type } from 'typebox';
import type { Intelligence } from '../../modules/intelligence/intelligence.js';
import { ForecastSimsQuery } from '../../modules/intelligence/intelligence.schemas.js';
import { defineTool, type Tool } from '../tool.js';
import { Args, IccidArg } from './schemas.js';

/** Diagnosis, fleet forecast and monthly report: GET /sims/{iccid}/diagnosis, /fleet/forecast[/sims], /reports/monthly. */
export function intelligenceTools(intelligence: Pick<Intelligence, 'diagnosis' | 'forecast' | 'reports'>): Tool[] {
  return [
    defineTool({
      name: 'get_sim_diagnosis',
      title: 'Diagnose a SIM',
      description:
        'Why a SIM is (not) working: status, IMEI lock, connectivity, recent events, quota and last usage combined into a verdict, ' +
        'its reasons and the next step (e.g. "attached, no data session for 26 h: check the APN"). Same as GET /api/v1/sims/{iccid}/diagnosis.',
      policy: 'viewer',
      readOnly: true,
      input: Args({ iccid: IccidArg }),
      run: async ({ iccid }) => intelligence.diagnosis.diagnose(iccid),
    }),
    defineTool({
      name: 'forecast_fleet',
      title: 'Fleet forecast',
      description:
        'Quota exhaustions and expiries over the next 30 and 90 days, per account and tag, with the top-ups and extensions they would need ' +
        'priced from the product catalogue. Same as GET /api/v1/fleet/forecast.',
      policy: 'viewer',
      readOnly: true,
      input: Args({}),
      run: async () => intelligence.forecast.fleet(),
    }),
    defineTool({
      name: 'forecast_sims',
      title: 'SIMs forecast to run out or expire',
      description:
        'The SIMs forecast to exhaust their data (kind=exhaustion) or expire (kind=expiry) within `within_days` (default 30), soonest first, ' +
        'filtered by account or tag. Same as GET /api/v1/fleet/forecast/sims.',
      policy: 'viewer',
      readOnly: true,
      input: ForecastSimsQuery,
      run: async (q) =>
        intelligence.forecast.sims({ withinDays: q.within_days ?? 30, kind: q.kind ?? 'exhaustion', account: q.account, tag: q.tag, page: q.page ?? 1, pageSize: q.page_size ?? 50 }),
    }),
    defineTool({
      name: 'get_monthly_report',
      title: 'Monthly report',
      description: 'Usage, SMS, top-ups, alerts and anomalies of a month per account and tag (JSON). Same as GET /api/v1/reports/monthly.',
      policy: 'viewer',
      readOnly: true,
      input: Args({ month: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', description: 'YYYY-MM (UTC); default: the current month so far' })) }),
      run: async ({ month }) => intelligence.reports.monthly(month ?? new Date().toISOString().slice(0, 7)),
    }),
  ];
}
