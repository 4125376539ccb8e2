import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { TooManyRequests } from '../../errors.js';
import type { Peers } from '../../peers.js';
import { sharedLimitStore, type StoreModeListener } from './rate-limit-store.js';

/** The general per-caller window: `API_RATE_LIMIT_RPS` requests per second. */
const WINDOW_MS = 1_000;

function callerKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal === undefined) return `ip:${request.ip}`;
  if (principal.kind === 'api_key') return `key:${principal.apiKeyId}`;
  if (principal.kind === 'user') return `user:${principal.userId}`;
  return `streamer:${request.ip}`;
}

/**
 * Registers @fastify/rate-limit (Redis store when configured, so the limit is per caller across
 * replicas; while Redis is down each replica enforces its share, limit / replicas) and returns the check to run after authentication: keyed by API key, user, or client
 * IP for public routes, with IETF draft `RateLimit-*` headers on every `/api/v1` response.
 */
export async function registerApiRateLimit(
  app: FastifyInstance,
  config: Pick<Config, 'apiRateLimitRps' | 'redisPrefix'>,
  redis: Redis | undefined,
  shared?: { peers: Peers; onMode?: StoreModeListener },
): Promise<(request: FastifyRequest, reply: FastifyReply) => Promise<void>> {
  await app.register(rateLimit, {
    global: false,
    enableDraftSpec: true,
    // A store error must not take the API down (the shared store falls back by itself; this covers the rest).
    skipOnError: true,
    ...(redis !== undefined && {
      store: sharedLimitStore({
        redis,
        namespace: `${config.redisPrefix}rl:`,
        peers: () => shared?.peers.count() ?? 1,
        ...(shared?.onMode !== undefined && { onMode: shared.onMode }),
      }),
    }),
  });
  const check = app.rateLimit({
    max: config.apiRateLimitRps,
    timeWindow: WINDOW_MS,
    keyGenerator: callerKey,
    errorResponseBuilder: (_request, context) =>
      new TooManyRequests(context.ttl / 1000, `Rate limit of ${config.apiRateLimitRps} requests per second exceeded`),
  });
  return async (request, reply) => {
    const url = request.routeOptions.url ?? '';
    // MCP tool calls (one per POST /mcp) share the caller's API budget.
    if (!url.startsWith('/api/v1/') && url !== '/mcp') return;
    // The plugin types the handler with a `this` it never reads.
    await check.call(app, request, reply);
  };
}
