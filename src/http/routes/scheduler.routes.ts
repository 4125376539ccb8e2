import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { JobNameParams, RunNowSchema, RunSchema, RunsQuery, SchedulerStatusSchema } from '../../jobs/scheduler.schemas.js';
import type { SchedulerService } from '../../jobs/scheduler.service.js';
import { problemResponses } from '../problem.js';


/** /api/v1/scheduler: background job status (viewers) and run-now (admins). */
export function schedulerRoutes(scheduler: SchedulerService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/status',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['scheduler'],
          summary: 'Every job with its schedule, last run, next run, queue depth and recent failures',
          response: { 200: SchedulerStatusSchema, ...problemResponses(401, 403, 429) },
        },
      },
      async () => scheduler.status(),
    );

    app.get(
      '/jobs/:name/runs',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['scheduler'],
          summary: 'Recent runs of one job, newest first',
          params: JobNameParams,
          querystring: RunsQuery,
          response: { 200: Type.Object({ items: Type.Array(RunSchema) }), ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => ({ items: await scheduler.runs(request.params.name, request.query.limit ?? 20) }),
    );

    app.post(
      '/jobs/:name/run',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['scheduler'],
          summary: 'Queue a run of a job now (409 when a run is already queued)',
          params: JobNameParams,
          response: { 202: RunNowSchema, ...problemResponses(400, 401, 403, 404, 409, 429, 503) },
        },
      },
      async (request, reply) => reply.code(202).send(await scheduler.runNow(request.params.name)),
    );
  };
}
