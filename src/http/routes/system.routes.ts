import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Metrics } from '../../metrics.js';

/** Media type of the Prometheus text exposition format (prom-client's registry.contentType, without charset). */
const PROMETHEUS_MEDIA_TYPE = 'text/plain; version=0.0.4';

const MetricsText = Type.String({
  description: 'Prometheus text exposition format 0.0.4: HELP and TYPE lines, then one sample per line',
  examples: ['# HELP simfleet_http_requests_total HTTP requests\n# TYPE simfleet_http_requests_total counter\n'],
});

const OpenApiDocument = Type.Object(
  {
    openapi: Type.String({ description: 'OpenAPI version of this document', examples: ['3.1.0'] }),
    info: Type.Object({}, { additionalProperties: true }),
    paths: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: true, description: 'The OpenAPI 3.1 document describing every route of this API' },
);

/** Prometheus exposition at /metrics and /api/v1/metrics, and the OpenAPI document at /openapi.json. */
export function systemRoutes(metrics: Metrics): FastifyPluginAsyncTypebox {
  return async (app) => {
    const scrape = async (_request: unknown, reply: FastifyReply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    const metricsSchema = {
      tags: ['system'],
      summary: 'Prometheus metrics (text exposition format)',
      produces: [PROMETHEUS_MEDIA_TYPE],
      response: { 200: MetricsText },
    };
    app.get('/metrics', { config: { policy: 'public' }, schema: metricsSchema }, scrape);
    app.get('/api/v1/metrics', { config: { policy: 'public' }, schema: { ...metricsSchema, summary: 'Prometheus metrics (the same as /metrics)' } }, scrape);

    app.get(
      '/openapi.json',
      {
        config: { policy: 'public' },
        schema: { tags: ['system'], summary: 'OpenAPI 3.1 description of this API', response: { 200: OpenApiDocument } },
      },
      // The document is built once and cached by @fastify/swagger.
      () => app.swagger() as Static<typeof OpenApiDocument>,
    );
  };
}
