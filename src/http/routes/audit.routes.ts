import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ValidationError } from '../../errors.js';
import { AuditExportQuery, AuditListQuery, AuditPageSchema } from '../../modules/audit/audit.schemas.js';
import type { AuditFilter } from '../../modules/audit/audit.repo.js';
import type { AuditService } from '../../modules/audit/audit.service.js';
import { problemResponses } from '../problem.js';


function toFilter(query: { actor?: string; action?: string; target?: string; outcome?: AuditFilter['outcome']; from?: string; to?: string }): AuditFilter {
  const from = query.from === undefined ? undefined : new Date(query.from);
  const to = query.to === undefined ? undefined : new Date(query.to);
  if (from !== undefined && to !== undefined && from >= to) {
    throw new ValidationError('from must be before to', [{ field: 'querystring.from', message: 'must be before to' }]);
  }
  return { actor: query.actor, action: query.action, target: query.target, outcome: query.outcome, from, to };
}

/** /api/v1/audit: query and export the audit log (admins only). */
export function auditRoutes(audit: AuditService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['audit'],
          summary: 'Query the audit log, newest first',
          querystring: AuditListQuery,
          response: { 200: AuditPageSchema, ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request) => audit.list(toFilter(request.query), request.query.page ?? 1, request.query.page_size ?? 50),
    );

    app.get(
      '/export',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['audit'],
          summary: 'Export the audit log as CSV (streamed; same filters as the query)',
          querystring: AuditExportQuery,
          produces: ['text/csv'],
          response: {
            200: Type.String({ description: 'text/csv; header row first, newest entry first' }),
            ...problemResponses(400, 401, 403, 429),
          },
        },
      },
      async (request, reply) => {
        const filter = toFilter(request.query);
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="audit-${stamp}.csv"`)
          .header('cache-control', 'no-store')
          .send(Readable.from(audit.exportCsv(filter)) as unknown as string);
      },
    );
  };
}
