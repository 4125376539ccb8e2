import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

/**
 * Swagger UI ships inline scripts and styles and loads its validator badge from outside, so only
 * /docs gets a CSP that allows them; everything else keeps helmet's strict default.
 */
const DOCS_CSP = {
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", "'unsafe-inline'"],
    styleSrc: ["'self'", "'unsafe-inline'", 'https:'],
    imgSrc: ["'self'", 'data:', 'https:'],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

/** Security headers on every response and strict CORS (exact origins from CORS_ORIGINS; none = no CORS headers). */
export async function registerSecurity(app: FastifyInstance, config: Pick<Config, 'corsOrigins'>): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) {
      route.config = { ...route.config, helmet: { contentSecurityPolicy: DOCS_CSP } } as NonNullable<typeof route.config>;
    }
    // @fastify/cors answers preflights on its own catch-all OPTIONS route; preflights carry no credentials.
    if (route.method === 'OPTIONS' && route.url === '*' && route.config?.policy === undefined) {
      route.config = { ...route.config, policy: 'public' };
    }
  });

  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"], objectSrc: ["'none'"], baseUri: ["'self'"] },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id', 'Idempotency-Key'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Location'],
      credentials: false,
      maxAge: 600,
      strictPreflight: true,
    });
  }
}
