/**
 * The `/management-api` scope: gateway behaviour in front of every 1NCE route, in the order a
 * real request meets it - request counting, rate limits (real time), injected faults, bearer
 * authentication, then the settling of queued asynchronous operations.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerAccountV1Routes } from './account-v1.routes.js';
import type { SimContext } from './context.js';
import type { FaultKind } from './faults.js';
import { BASE_PATH, sendJson, sendSpringError, sendTokenError, sendV2Error } from './http.js';
import { registerOauthRoutes } from './oauth.routes.js';
import { registerOrderRoutes } from './orders.routes.js';
import { registerSimsV1Routes } from './sims-v1.routes.js';
import { registerSimsV2Routes } from './sims-v2.routes.js';
import { registerSmsV1Routes } from './sms-v1.routes.js';

type Family = 'oauth' | 'sims' | 'orders' | 'products' | 'support' | 'other';

/** Holds a request open (timeout fault) until the hold expires or the simulator closes. */
export interface Holds {
  hold(ms: number): Promise<void>;
  releaseAll(): void;
}

/** Creates the registry of held requests. */
export function createHolds(): Holds {
  const pending = new Set<() => void>();
  return {
    hold(ms) {
      return new Promise<void>((resolve) => {
        const release = () => {
          clearTimeout(timer);
          pending.delete(release);
          resolve();
        };
        const timer = setTimeout(release, ms);
        pending.add(release);
      });
    },
    releaseAll() {
      for (const release of [...pending]) release();
    },
  };
}

/** 1NCE's announced end of Management API v1 (RFC 8594 Sunset date). */
const V1_SUNSET = 'Thu, 31 Dec 2026 23:59:59 GMT';

/** A held request outlives any sensible client timeout (clients use 10-30 s). */
const TIMEOUT_HOLD_MS = 60_000;

const HTML_503 =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.</p>\n</body></html>\n';

/** How long a 429 storm lasts once drawn; every request meanwhile is refused with `Retry-After`. */
const STORM_MS = 1_000;

/** Well-formed JSON of the wrong shape, as a misbehaving gateway or a broken deployment might answer. */
const GARBAGE_BODIES = ['{"data":null}', '[{"unexpected":true}]', '"OK"', '{"items":"many","total":"lots"}', '[null,42,"x"]', '{"status":{"id":"?"}}', 'null', '12345'];

/** Security and cache headers 1NCE sends on every response (reference §1). */
const STANDARD_HEADERS = {
  'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
  pragma: 'no-cache',
  expires: '0',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-xss-protection': '1; mode=block',
  'strict-transport-security': 'max-age=31536000',
};

function familyOf(path: string): Family {
  if (path.startsWith('/oauth')) return 'oauth';
  if (/^\/v[12]\/sims(\/|$)/.test(path)) return 'sims';
  if (path.startsWith('/v1/orders')) return 'orders';
  if (path.startsWith('/v1/products')) return 'products';
  if (path.startsWith('/v1/support')) return 'support';
  return 'other';
}

/** `GET /v1/sims/{iccid}` style label of the matched route (or `(unmatched)`). */
function templateOf(request: FastifyRequest): string {
  const url = request.routeOptions.url;
  if (url === undefined) return `${request.method} (unmatched)`;
  const path = url.startsWith(BASE_PATH) ? url.slice(BASE_PATH.length) : url;
  return `${request.method} ${path.replace(/:(\w+)/g, '{$1}')}`;
}

function pathOf(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? '';
  return path.startsWith(BASE_PATH) ? path.slice(BASE_PATH.length) : path;
}

/** Sends an error in the shape of the family and API version the request belongs to. */
function sendFamilyError(ctx: SimContext, request: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply {
  const path = pathOf(request);
  if (familyOf(path) === 'oauth') return sendTokenError(reply, status === 400 ? 'BodyValidationError' : 'InternalServerError', message, status);
  if (path.startsWith('/v2/')) return sendV2Error(reply, status, message);
  return sendSpringError(reply, request, status, message, ctx.clock.nowMs());
}

/** Registers the 1NCE surface under `/management-api`. */
export function registerManagementApi(app: FastifyInstance, ctx: SimContext, holds: Holds): void {
  const malformed = new WeakSet<FastifyRequest>();
  const garbage = new WeakMap<FastifyRequest, string>();
  const lost = new WeakSet<FastifyRequest>();
  let stormUntil = 0;

  const limitOf = (family: Family): [number, number] | undefined => {
    switch (family) {
      case 'sims':
        return [ctx.limits.simsRps, 1];
      case 'oauth':
        return [ctx.limits.oauthPerMinute, 60];
      case 'orders':
      case 'products':
      case 'support':
        return [ctx.limits.ordersPerFiveMinutes, 300];
      case 'other':
        return undefined;
    }
  };

  const injectFault = async (kind: FaultKind, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    ctx.stats.faults.total++;
    ctx.stats.faults[kind]++;
    switch (kind) {
      case 'tokenInvalidation':
        // 1NCE dropping its token cache: the caller's next authenticated call gets a 401.
        ctx.state.tokens.clear();
        return undefined;
      case 'timeout':
        await holds.hold(TIMEOUT_HOLD_MS);
        return sendJson(reply, 504, { message: 'Endpoint request timed out' });
      case 'serverError':
        return sendFamilyError(ctx, request, reply, 500, 'Internal Server Error');
      case 'htmlUnavailable':
        return reply.code(503).type('text/html').send(HTML_503);
      case 'malformedJson':
        malformed.add(request);
        return undefined;
      case 'garbageJson':
        garbage.set(request, GARBAGE_BODIES[ctx.faults.pick(GARBAGE_BODIES.length)]!);
        return undefined;
      case 'rateLimitStorm':
        stormUntil = Date.now() + STORM_MS;
        reply.header('Retry-After', String(Math.ceil(STORM_MS / 1000)));
        return sendJson(reply, 429, { message: 'Too Many Requests' });
      case 'lostResponse':
        // Processed like any request; onSend then swaps the answer for a gateway timeout.
        lost.add(request);
        return undefined;
    }
  };

  void app.register(
    (api, _opts, done) => {
      api.addHook('onRequest', async (request, reply) => {
        const template = templateOf(request);
        ctx.stats.requests[template] = (ctx.stats.requests[template] ?? 0) + 1;
        const family = familyOf(pathOf(request));

        const limit = limitOf(family);
        if (limit !== undefined) {
          // /sims is limited per customer (token owner), the rest per client IP.
          const auth = family === 'sims' ? ctx.state.tokens.check(request.headers.authorization) : undefined;
          const key = auth?.ok === true ? `customer:${auth.customer}` : `ip:${request.ip}`;
          const taken = ctx.limiter.take(`${family}:${key}`, limit[0], limit[1]);
          if (!taken.ok) {
            ctx.stats.rateLimited.total++;
            ctx.stats.rateLimited[family as Exclude<Family, 'other'>]++;
            reply.header('Retry-After', String(taken.retryAfterS));
            return sendJson(reply, 429, { message: 'Too Many Requests' });
          }
        }

        if (ctx.v1Retired && pathOf(request).startsWith('/v1/')) {
          // What 1NCE announced for 2026-12-31: the v1 paths are gone; v2, /oauth and the rest stay.
          reply.header('Sunset', V1_SUNSET);
          return sendJson(reply, 410, { message: 'Management API v1 has been retired; use /v2/' });
        }

        const stormLeftMs = stormUntil - Date.now();
        if (stormLeftMs > 0) {
          ctx.stats.faults.total++;
          ctx.stats.faults.rateLimitStorm++;
          reply.header('Retry-After', String(Math.ceil(stormLeftMs / 1000)));
          return sendJson(reply, 429, { message: 'Too Many Requests' });
        }

        const fault = ctx.faults.draw(request.method);
        if (fault !== undefined) {
          const answered = await injectFault(fault, request, reply);
          if (answered !== undefined) return answered;
        }

        if (family !== 'oauth') {
          const auth = ctx.state.tokens.check(request.headers.authorization);
          if (!auth.ok) {
            const message = auth.reason === 'missing' ? 'Full authentication is required to access this resource' : auth.reason === 'expired' ? 'The token is expired' : 'The token is invalid';
            return sendSpringError(reply, request, 401, message, ctx.clock.nowMs());
          }
        }
        ctx.state.store.settle(ctx.clock.nowMs());
        return undefined;
      });

      api.addHook('onSend', (request, reply, payload, done) => {
        reply.headers(STANDARD_HEADERS);
        if (lost.has(request) && reply.statusCode >= 200 && reply.statusCode < 300) {
          // The work is done (an SMS sent, a top-up booked) but the caller never hears of it.
          reply.removeHeader('location');
          reply.code(504).type('application/json');
          return done(null, JSON.stringify({ message: 'Endpoint request timed out' }));
        }
        const replacement = garbage.get(request);
        if (replacement !== undefined && reply.statusCode >= 200 && reply.statusCode < 300) return done(null, replacement);
        if (!malformed.has(request) || typeof payload !== 'string') return done(null, payload);
        // A body cut off mid-document, still labelled as JSON.
        return done(null, payload.length > 2 ? payload.slice(0, Math.ceil(payload.length / 2)) : '{"');
      });

      api.setErrorHandler((error: FastifyError, request, reply) => {
        const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? 400 : 500;
        if (status === 500) request.log.error(error);
        return sendFamilyError(ctx, request, reply, status, status === 400 ? `JSON parse error: ${error.message}` : 'Internal Server Error');
      });

      api.setNotFoundHandler((_request, reply) => sendJson(reply, 404, { message: 'Not Found' }));

      registerOauthRoutes(api, ctx);
      registerAccountV1Routes(api, ctx);
      registerSimsV1Routes(api, ctx);
      registerSmsV1Routes(api, ctx);
      registerSimsV2Routes(api, ctx);
      registerOrderRoutes(api, ctx);
      done();
    },
    { prefix: BASE_PATH },
  );
}
