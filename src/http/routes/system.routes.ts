import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Metrics } from '../../metrics.js';

/** Prometheus exposition at /metrics and /api/v1/metrics, and the OpenAPI document at /openapi.json. */
export function systemRoutes(metrics: Metrics): FastifyPluginAsyncTypebox {
  return async (app) => {
    const scrape = async (_request: unknown, reply: FastifyReply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    const metricsSchema = {
      tags: ['system'],
      summary: 'Prometheus metrics (text exposition format)',
      produces: ['text/plain'],
    };
    app.get('/metrics', { config: { policy: 'public' }, schema: metricsSchema }, scrape);
    app.get('/api/v1/metrics', { config: { policy: 'public' }, schema: metricsSchema }, scrape);

    app.get(
      '/openapi.json',
      { config: { policy: 'public' }, schema: { tags: ['system'], summary: 'OpenAPI 3.1 description of this API' } },
      () => app.swagger(),
    );
  };
}
