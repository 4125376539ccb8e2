/**
 * The built-in 1NCE Management API simulator: its own Fastify app serving `/management-api/...`
 * with 1NCE's shapes, quirks and limits, plus a `/_simulator` control surface. Demo mode, the
 * tests and the benchmarks all run against it.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { SimulatorConfig } from '../config.js';
import { createClock } from './clock.js';
import { registerControlRoutes } from './control.routes.js';
import { createState, emptyStats, type SimContext } from './context.js';
import { createFaultInjector, type FaultRates } from './faults.js';
import { BASE_PATH } from './http.js';
import { createHolds, registerManagementApi } from './management-api.js';
import { createRateLimiter } from './rate-limit.js';
import { createStreamer, type FlushResult, type StreamerOptions } from './streamer.js';

export type { FaultRates } from './faults.js';
export type { FlushResult, StreamerOptions } from './streamer.js';

/** Simulator settings: the `SIMULATOR_*` config plus test and demo knobs. */
export interface SimulatorOptions extends Omit<SimulatorConfig, 'v1Retired'> {
  /** Every /v1/ path answers 410 Gone, as after 1NCE's 2026-12-31 retirement (default false). */
  v1Retired?: boolean;
  /** Simulated seconds per real second (default 1). */
  clockSpeed?: number;
  /** Simulated "now" at start (default: real now). */
  startTime?: Date;
  /** Initial fault injection rates. */
  faults?: Partial<FaultRates>;
  streamer?: StreamerOptions;
  /** Fastify logger option (default false). */
  logger?: boolean | object;
  /** Overrides of the documented non-/sims limits (defaults 600/min on /oauth, 100 per 5 min on orders, products, support). */
  rateLimits?: { oauthPerMinute?: number; ordersPerFiveMinutes?: number };
}

/** A running (or ready-to-listen) simulator. */
export interface Simulator {
  /** Routes: /management-api/... and /_simulator/... */
  app: FastifyInstance;
  clock: { now(): Date; advance(seconds: number): void };
  /** Resolves the base URL including /management-api, e.g. http://127.0.0.1:8900/management-api. */
  listen(port?: number, host?: string): Promise<string>;
  /** Attempts one Data Streamer delivery now; undefined when no streamer is configured. */
  flushStreamer(): Promise<FlushResult | undefined>;
  close(): Promise<void>;
}

/** Builds a simulator; nothing listens until `listen()`. */
export async function createSimulator(options: SimulatorOptions): Promise<Simulator> {
  const clock = createClock({ start: options.startTime ?? new Date(), speed: options.clockSpeed ?? 1 });
  const freshState = () => createState({ seed: options.seed, fleetSize: options.fleetSize, epochMs: options.startTime?.getTime() ?? clock.nowMs(), nowMs: () => clock.nowMs() });
  const ctx: SimContext = {
    mode: options.mode,
    v1Retired: options.v1Retired ?? false,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    organisation: { id: 4000 + (options.seed % 1000), name: `8100${String(options.seed % 10000).padStart(4, '0')}` },
    limits: {
      simsRps: options.simsRps,
      oauthPerMinute: options.rateLimits?.oauthPerMinute ?? 600,
      ordersPerFiveMinutes: options.rateLimits?.ordersPerFiveMinutes ?? 100,
    },
    clock,
    state: freshState(),
    stats: emptyStats(),
    faults: createFaultInjector(options.faults ?? {}, options.seed),
    limiter: createRateLimiter(),
  };
  const streamer = options.streamer === undefined ? undefined : createStreamer(ctx, options.streamer);
  const holds = createHolds();

  // Connections are closed outright on close(): released timeout holds would otherwise idle in keep-alive for seconds.
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(Object.assign(error instanceof Error ? error : new Error('Invalid JSON'), { statusCode: 400 }), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });
  // Anything else reaches the routes as text, so they can answer in 1NCE's own words.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  registerManagementApi(app, ctx, holds);
  registerControlRoutes(app, ctx, {
    reset() {
      clock.reset();
      ctx.state = freshState();
      ctx.stats = emptyStats();
      ctx.faults.reset(options.faults ?? {});
      ctx.limiter.clear();
      streamer?.reset();
    },
    flushStreamer: streamer === undefined ? undefined : () => streamer.flush(),
    streamerStatus: streamer === undefined ? undefined : () => streamer.status(),
  });
  await app.ready();
  streamer?.start();

  let closed = false;
  return {
    app,
    clock: { now: () => clock.now(), advance: (seconds) => clock.advance(seconds) },
    async listen(port = options.port, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      const boundPort = typeof address === 'object' && address !== null ? address.port : port;
      const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      return `http://${urlHost}:${boundPort}${BASE_PATH}`;
    },
    flushStreamer: async () => streamer?.flush(),
    async close() {
      if (closed) return;
      closed = true;
      await streamer?.stop();
      // Held (timeout-fault) requests must not keep the server open.
      holds.releaseAll();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await app.close();
    },
  };
}
