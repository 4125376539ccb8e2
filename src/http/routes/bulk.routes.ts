import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { BulkService } from '../../modules/bulk/bulk.service.js';
import {
  BulkItemPageSchema,
  BulkJobIdParam,
  BulkJobPageSchema,
  BulkJobSchema,
  CreateBulkJobBody,
  DryRunSchema,
  ListBulkItemsQuery,
  ListBulkJobsQuery,
} from '../../modules/bulk/bulk.schemas.js';
import { auditContext, describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const target = (id: string) => ({ type: 'bulk_job', id });

/** /api/v1/bulk-jobs: one action on many SIMs, run as a tracked, resumable job. */
export function bulkRoutes(bulk: BulkService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/',
      {
        config: { policy: 'operator' },
        schema: {
          tags: ['bulk'],
          summary: 'Start a bulk action on a selection (ICCID list, CSV or SIM filter); dry_run reports the selection only',
          body: CreateBulkJobBody,
          response: { 200: DryRunSchema, 202: BulkJobSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 429) },
        },
      },
      async (request, reply) => {
        const result = await bulk.create(request.body, auditContext(request));
        if (result.dryRun) {
          describeAudit(request, { action: 'bulk_job.dry_run', detail: { action: request.body.action, total: result.body.total } });
          return reply.code(200).send(result.body);
        }
        describeAudit(request, { action: 'bulk_job.create', target: target(result.body.id), after: { action: result.body.action, total: result.body.total } });
        return reply.code(202).send(result.body);
      },
    );

    app.get(
      '/',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['bulk'],
          summary: 'Bulk jobs, newest first',
          querystring: ListBulkJobsQuery,
          response: { 200: BulkJobPageSchema, ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { status, page = 1, page_size = 50 } = request.query;
        return bulk.list(status, page, page_size);
      },
    );

    app.get(
      '/:id',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['bulk'],
          summary: 'A bulk job with its progress',
          params: BulkJobIdParam,
          response: { 200: BulkJobSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => bulk.get(request.params.id),
    );

    app.get(
      '/:id/items',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['bulk'],
          summary: 'Per-SIM results of a bulk job',
          params: BulkJobIdParam,
          querystring: ListBulkItemsQuery,
          response: { 200: BulkItemPageSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => {
        const { status, page = 1, page_size = 100 } = request.query;
        return bulk.items(request.params.id, status, page, page_size);
      },
    );

    app.get(
      '/:id/results.csv',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['bulk'],
          summary: 'Per-SIM results as CSV (iccid, status, error, result), streamed',
          params: BulkJobIdParam,
          produces: ['text/csv'],
          response: { 200: Type.String({ description: 'CSV text' }), ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request, reply) => {
        const lines = bulk.resultsCsv(request.params.id);
        // Pull the header first so an unknown job is a 404 problem, not a broken stream.
        const first = await lines.next();
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="bulk-job-${request.params.id}.csv"`);
        async function* all() {
          if (first.done !== true) yield first.value;
          yield* lines;
        }
        // The string schema documents the body; the stream is sent as is (same as the SIM and audit exports).
        return reply.send(Readable.from(all()) as unknown as string);
      },
    );

    app.post(
      '/:id/cancel',
      {
        config: { policy: 'operator' },
        schema: {
          tags: ['bulk'],
          summary: 'Cancel a bulk job: queued ends now, running stops before its next chunk',
          params: BulkJobIdParam,
          response: { 200: BulkJobSchema, ...problemResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'bulk_job.cancel', target: target(request.params.id) });
        return bulk.cancel(request.params.id);
      },
    );
  };
}
