import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { parseSimFilter, parseSort } from '../../modules/sims/sims.filter.js';
import { IccidParams } from '../../lib/schemas.js';
import {
  CreateSimBody,
  ImportQuery,
  ImportResultSchema,
  JobAcceptedSchema,
  PatchResultSchema,
  PatchSimBody,
  SimDetailSchema,
  SimExportQuery,
  SimListQuery,
  SimPageSchema,
  SimSchema,
  SyncResultSchema,
} from '../../modules/sims/sims.schemas.js';
import type { SimsService } from '../../modules/sims/sims.service.js';
import { auditContext, describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const TAGS = ['sims'];
const simTarget = (iccid: string) => ({ type: 'sim', id: iccid });

/** /api/v1/sims: the fleet list, export, registration, changes through 1NCE, sync and CSV import. */
export function simsRoutes(sims: SimsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'List SIMs from our database with filters, sorting and paging',
          querystring: SimListQuery,
          response: { 200: SimPageSchema, ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        const { page = 1, page_size = 50, sort, cursor, ...filter } = request.query;
        // Already the JSON of SimPageSchema (its SIMs rendered by PostgreSQL): Fastify sends a string
        // with a JSON content type as it is, not serialised again. The typed reply only knows the object.
        const body = await sims.listJson(parseSimFilter(filter), parseSort(sort), page, page_size, cursor);
        return reply.type('application/json; charset=utf-8').send(body as never);
      },
    );

    app.get(
      '/export',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Export the filtered SIM list as CSV or NDJSON (streamed, any size)',
          querystring: SimExportQuery,
          produces: ['text/csv', 'application/x-ndjson'],
          response: { 200: Type.String({ description: 'CSV (header row first) or one JSON SIM per line' }), ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        const { format = 'csv', sort, ...filter } = request.query;
        const lines = sims.export(parseSimFilter(filter), parseSort(sort), format);
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        return reply
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="sims-${stamp}.${format}"`)
          .header('cache-control', 'no-store')
          .send(Readable.from(lines) as unknown as string);
      },
    );

    app.post(
      '/',
      {
        config: { policy: 'operator' },
        schema: {
          tags: TAGS,
          summary: 'Register a SIM manually',
          body: CreateSimBody,
          response: { 201: SimSchema, ...problemResponses(400, 401, 403, 409, 415, 422, 429) },
        },
      },
      async (request, reply) => {
        const sim = await sims.create(request.body);
        describeAudit(request, { action: 'sim.create', target: simTarget(sim.iccid), after: { iccid: sim.iccid, label: sim.label, tags: sim.tags } });
        return reply.code(201).send(sim);
      },
    );

    // CSV uploads arrive as text, read only by this route (its own scope: every other route takes JSON
    // and answers 415 to text); the import parses them itself (per-row errors, not one 400).
    await app.register(async (scope) => {
      const csv = scope.withTypeProvider<TypeBoxTypeProvider>();
      csv.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
      csv.post(
        '/import',
        {
          config: { policy: 'operator' },
          schema: {
            tags: TAGS,
            summary: 'Import labels and tags from CSV (iccid,label,tags; tags separated by ;). All rows or none.',
            description:
              'Every row is validated first; any invalid row rejects the whole file with 422 and a per-row report. Changed labels ' +
              'are sent to 1NCE first (bulk update), then every row is stored in one transaction. An exported CSV imports unchanged.',
            consumes: ['text/csv'],
            querystring: ImportQuery,
            body: Type.String({ description: 'CSV text with a header row' }),
            response: { 200: ImportResultSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 429, 502, 503, 504) },
          },
        },
        async (request) => {
          const report = await sims.importCsv(request.body, { dryRun: request.query.dry_run ?? false, ctx: auditContext(request) });
          describeAudit(request, { action: 'sims.import', detail: { total: report.total, updated: report.updated, applied: report.applied } });
          return report;
        },
      );
    });

    app.post(
      '/sync-all',
      {
        config: { policy: 'operator' },
        schema: {
          tags: TAGS,
          summary: 'Queue a full sync from 1NCE (runs as the sync-sims job)',
          querystring: Type.Object({ account: Type.Optional(Type.String({ format: 'uuid', description: 'Only this provider account' })) }),
          response: { 202: JobAcceptedSchema, ...problemResponses(400, 401, 403, 409, 429, 503) },
        },
      },
      async (request, reply) => {
        const job = await sims.syncAll(request.query.account);
        describeAudit(request, { action: 'sims.sync_all', detail: { job_id: job.job_id } });
        return reply.code(202).send(job);
      },
    );

    app.get(
      '/:iccid',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'One SIM as stored, with how fresh it is',
          params: IccidParams,
          response: { 200: SimDetailSchema, ...problemResponses(400, 401, 403, 404, 422, 429) },
        },
      },
      async (request) => sims.get(request.params.iccid),
    );

    app.patch(
      '/:iccid',
      {
        config: { policy: 'operator' },
        schema: {
          tags: TAGS,
          summary: 'Change label, status and IMEI lock (at 1NCE first) and tags and custom fields (ours)',
          params: IccidParams,
          body: PatchSimBody,
          response: { 200: PatchResultSchema, ...problemResponses(400, 401, 403, 404, 415, 422, 429, 502, 503, 504) },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'sim.update', target: simTarget(request.params.iccid) });
        const { before, sim, applied } = await sims.patch(request.params.iccid, request.body, auditContext(request));
        const changed = Object.keys(request.body) as Array<keyof typeof request.body>;
        describeAudit(request, {
          target: simTarget(sim.iccid),
          before: Object.fromEntries(changed.map((k) => [k, before[k]])),
          after: Object.fromEntries(changed.map((k) => [k, sim[k]])),
          detail: applied,
        });
        return { sim, applied };
      },
    );

    app.post(
      '/:iccid/sync',
      {
        config: { policy: 'operator' },
        schema: {
          tags: TAGS,
          summary: 'Fetch the SIM and its quotas from 1NCE now',
          params: IccidParams,
          response: { 200: SyncResultSchema, ...problemResponses(400, 401, 403, 404, 422, 429, 502, 503, 504) },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'sim.sync', target: simTarget(request.params.iccid) });
        return sims.sync(request.params.iccid, auditContext(request));
      },
    );
  };
}
