import { Type } from 'typebox';
import type { ConnectivityService } from '../../modules/connectivity/connectivity.service.js';
import { MAX_HORIZON_DAYS } from '../../modules/quotas/exhaustions.js';
import type { QuotasService } from '../../modules/quotas/quotas.service.js';
import type { UsageService } from '../../modules/usage/usage.service.js';
import { isUuid } from '../../lib/identifiers.js';
import { ValidationError } from '../../errors.js';
import { Line } from '../../lib/schemas.js';
import { defineTool, type Tool } from '../tool.js';
import { Args, DayArg, IccidArg } from './schemas.js';

/** Usage, quotas, the fleet's exhaustion forecast and connectivity: the read side of one SIM's consumption. */
export function usageTools(services: { usage: UsageService; quotas: QuotasService; connectivity: ConnectivityService }): Tool[] {
  return [
    defineTool({
      name: 'get_sim_usage',
      title: 'SIM usage',
      description: 'Data (bytes) and SMS used by a SIM per day, week or month with a summary (total, average per day, peak). Default: the last 30 days. Same as GET /api/v1/sims/{iccid}/usage.',
      policy: 'viewer',
      readOnly: true,
      input: Args({
        iccid: IccidArg,
        start_date: Type.Optional(DayArg('First day, inclusive (YYYY-MM-DD, UTC)')),
        end_date: Type.Optional(DayArg('Last day, inclusive (default today, UTC)')),
        granularity: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { default: 'day' })),
      }),
      run: async ({ iccid, ...query }) => services.usage.get(iccid, query),
    }),
    defineTool({
      name: 'get_sim_quota',
      title: 'SIM quota',
      description:
        'Data or SMS quota of a SIM: total, used, remaining, percentage used, expiry, status and the forecast exhaustion date at its recent burn rate. ' +
        'refresh=true fetches it from 1NCE first. Same as GET /api/v1/sims/{iccid}/quota/{service}.',
      policy: 'viewer',
      readOnly: true,
      input: Args({
        iccid: IccidArg,
        service: Type.Optional(Type.Union([Type.Literal('data'), Type.Literal('sms')], { default: 'data' })),
        refresh: Type.Optional(Type.Boolean({ default: false })),
      }),
      run: async ({ iccid, service = 'data', refresh = false }, caller) => services.quotas.get(iccid, service, { refresh, ctx: caller.ctx }),
    }),
    defineTool({
      name: 'forecast_quota_exhaustion',
      title: 'Which SIMs will run out of data',
      description:
        'SIMs whose data quota runs out before a date at their forecast burn rate (the least-squares fit of GET /sims/{iccid}/quota/data), soonest first, with the total count. ' +
        'Default horizon: the end of the current month (answers "which SIMs will run out of data this month?"); or give by (YYYY-MM-DD) or within_days. ' +
        'Narrow by tag or account; include_exhausted adds SIMs already at 0. The same measure as the forecast_days alert rules and the dashboard.',
      policy: 'viewer',
      readOnly: true,
      input: Args({
        by: Type.Optional(DayArg('Last day of the horizon, inclusive (UTC)')),
        within_days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_HORIZON_DAYS, description: 'Horizon in days from now (instead of by)' })),
        include_exhausted: Type.Optional(Type.Boolean({ default: false })),
        tag: Type.Optional(Type.Array(Line({ minLength: 1, maxLength: 64 }), { maxItems: 20, description: 'SIMs with any of these tags' })),
        account: Type.Optional(Type.Array(Type.String({ maxLength: 36 }), { maxItems: 20, description: 'Provider account ids' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
      }),
      run: async (args) => {
        if (args.account?.some((a) => !isUuid(a))) throw new ValidationError('account must hold provider account ids', [{ field: 'account', message: 'must be UUIDs' }]);
        return services.quotas.forecastExhaustions({
          by: args.by,
          withinDays: args.within_days,
          includeExhausted: args.include_exhausted,
          tags: args.tag,
          accounts: args.account,
          limit: args.limit ?? 50,
        });
      },
    }),
    defineTool({
      name: 'get_sim_connectivity',
      title: 'SIM connectivity',
      description:
        'Whether a SIM is ONLINE, ATTACHED, OFFLINE or BLOCKED, with operator, country, radio technology and data session. ' +
        'Asks 1NCE unless cached=true (the last stored snapshot). Same as GET /api/v1/sims/{iccid}/connectivity.',
      policy: 'viewer',
      readOnly: true,
      input: Args({ iccid: IccidArg, cached: Type.Optional(Type.Boolean({ default: false })) }),
      run: async ({ iccid, cached = false }, caller) => services.connectivity.current(iccid, { cached, ctx: caller.ctx }),
    }),
  ];
}
