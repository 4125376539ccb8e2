import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../metrics.js';

/** Label for requests that matched no route, so raw paths never become label values. */
const UNMATCHED_ROUTE = '__unmatched__';

/** Counts, times and tracks in-flight HTTP requests, labelled by route template. */
export function installMetricsHooks(app: FastifyInstance, metrics: Metrics): void {
  const inFlight = new WeakSet<FastifyRequest>();
  const finish = (request: FastifyRequest) => {
    if (inFlight.delete(request)) metrics.http.inFlight.dec();
  };

  // Callback-style hooks: no promise per request for bookkeeping that never awaits.
  app.addHook('onRequest', (request, _reply, done) => {
    inFlight.add(request);
    metrics.http.inFlight.inc();
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    finish(request);
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode),
    };
    metrics.http.requests.inc(labels);
    metrics.http.duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
