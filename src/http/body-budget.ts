import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceUnavailable } from '../errors.js';

/**
 * A bound on the request bodies a route group holds in memory at once (docs/performance.md, Memory).
 *
 * Data Streamer batches are the largest bodies the platform accepts (up to 16 MB each, parsed into
 * tens of MB of objects), and 1NCE may send several at once. Each request reserves the bytes its
 * Content-Length announces (the route's body limit when it announces none) before its body is read;
 * while the reservations would pass `limitBytes`, further requests are answered 503 with
 * Retry-After, which the Data Streamer answers by sending the batch again. A request that finds
 * nothing in flight is always admitted, whatever its size, so a large batch is never refused forever.
 * The reservation is returned when the response has been sent or the client went away.
 */
export interface BodyBudget {
  /** Bytes reserved by the requests in flight. */
  readonly inflightBytes: number;
}

const RESERVATION = Symbol('bodyBudgetReservation');
type Reserved = FastifyRequest & { [RESERVATION]?: number | undefined };

export interface BodyBudgetOptions {
  limitBytes: number;
  /** Reserved for a request that announces no Content-Length (chunked): its route's body limit. */
  unannouncedBytes: number;
  /** Told of each request refused for the budget (a metric). */
  onRefused?: (() => void) | undefined;
}

/** Installs the budget on `app` (an encapsulated plugin: its routes only). */
export function installBodyBudget(app: FastifyInstance, options: BodyBudgetOptions): BodyBudget {
  let inflight = 0;
  const release = (request: Reserved) => {
    const bytes = request[RESERVATION];
    if (bytes === undefined) return;
    request[RESERVATION] = undefined;
    inflight -= bytes;
  };

  app.addHook('onRequest', (request: Reserved, _reply, done) => {
    const announced = Number(request.headers['content-length']);
    const bytes = Number.isSafeInteger(announced) && announced >= 0 ? announced : options.unannouncedBytes;
    if (inflight > 0 && inflight + bytes > options.limitBytes) {
      options.onRefused?.();
      done(new ServiceUnavailable('Too many batches are being processed; send this one again shortly', 'ingest_busy', 1));
      return;
    }
    inflight += bytes;
    request[RESERVATION] = bytes;
    done();
  });
  app.addHook('onResponse', (request: Reserved, _reply, done) => {
    release(request);
    done();
  });
  app.addHook('onRequestAbort', (request: Reserved, done) => {
    release(request);
    done();
  });

  return {
    get inflightBytes() {
      return inflight;
    },
  };
}
