import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IccidParams } from '../../lib/schemas.js';
import type { Intelligence } from '../../modules/intelligence/intelligence.js';
import { DiagnosisSchema, FleetForecastSchema, ForecastSimsPage, ForecastSimsQuery, MonthlyReportQuery, MonthlyReportSchema } from '../../modules/intelligence/intelligence.schemas.js';
import { problemResponses } from '../problem.js';

const TAGS = ['intelligence'];

/** GET /api/v1/sims/{iccid}/diagnosis (prefix /api/v1/sims). */
export function diagnosisRoutes(intelligence: Pick<Intelligence, 'diagnosis'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/:iccid/diagnosis',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Diagnose a SIM: a verdict with reasons and the next step',
          description: 'Combines status, IMEI lock, connectivity, recent events, quota, last usage, open alerts and automatic actions (stored state only; no 1NCE call).',
          params: IccidParams,
          response: { 200: DiagnosisSchema, ...problemResponses(400, 401, 403, 404, 422, 429) },
        },
      },
      async (request) => intelligence.diagnosis.diagnose(request.params.iccid),
    );
  };
}

/** GET /api/v1/fleet/forecast and /fleet/forecast/sims (prefix /api/v1/fleet). */
export function forecastRoutes(intelligence: Pick<Intelligence, 'forecast'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/forecast',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Fleet forecast: quota exhaustions and expiries in the next 30 and 90 days, per account and tag, with the top-ups needed and their price',
          response: { 200: FleetForecastSchema, ...problemResponses(401, 403, 429) },
        },
      },
      async () => intelligence.forecast.fleet(),
    );

    app.get(
      '/forecast/sims',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'SIMs forecast to run out of data (or to expire) within a number of days, soonest first',
          querystring: ForecastSimsQuery,
          response: { 200: ForecastSimsPage, ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const q = request.query;
        return intelligence.forecast.sims({ withinDays: q.within_days ?? 30, kind: q.kind ?? 'exhaustion', account: q.account, tag: q.tag, page: q.page ?? 1, pageSize: q.page_size ?? 50 });
      },
    );
  };
}

/** GET /api/v1/reports/monthly (prefix /api/v1/reports). */
export function reportsRoutes(intelligence: Pick<Intelligence, 'reports'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/monthly',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Monthly report per account and tag: usage, SMS, top-ups, alerts and anomalies (JSON, or CSV with format=csv)',
          querystring: MonthlyReportQuery,
          produces: ['application/json', 'text/csv'],
          response: {
            200: Type.Union([MonthlyReportSchema, Type.String({ description: 'text/csv: group,account_id,account_name,tag,sims,data_bytes,sms_mo,sms_mt,topups,auto_topups,alerts,anomalies' })]),
            ...problemResponses(400, 401, 403, 422, 429),
          },
        },
      },
      async (request, reply) => {
        const { format } = request.query;
        const month = request.query.month ?? new Date().toISOString().slice(0, 7);
        if (format === 'csv') {
          const csv = await intelligence.reports.monthlyCsv(month);
          return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="report-${month}.csv"`).header('cache-control', 'no-store').send(csv);
        }
        return intelligence.reports.monthly(month);
      },
    );
  };
}
