import cors from '@fastify/cors';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
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

const HELMET_OPTIONS: FastifyHelmetOptions = {
  global: true,
  contentSecurityPolicy: {
    directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"], objectSrc: ["'none'"], baseUri: ["'self'"] },
  },
  referrerPolicy: { policy: 'no-referrer' },
};

type HeaderSet = ReadonlyArray<readonly [string, string]>;

/**
 * The headers helmet sets for the API and for /docs. They depend only on configuration, so they are
 * computed once, by helmet itself on a throwaway instance (the plugin otherwise rebuilds its whole
 * policy, CSP parsing included, on every request).
 */
async function helmetHeaderSets(): Promise<{ api: HeaderSet; docs: HeaderSet }> {
  const probe = Fastify({ logger: false });
  await probe.register(helmet, HELMET_OPTIONS);
  // onRequest hooks have run when the handler starts, and nothing but helmet has set a header yet.
  const capture = (_request: unknown, reply: { raw: { getHeaders(): Record<string, unknown> } }) => reply.raw.getHeaders();
  probe.get('/api', capture);
  probe.get('/docs', { helmet: { contentSecurityPolicy: DOCS_CSP } }, capture);
  const read = async (url: string): Promise<HeaderSet> => {
    const headers = (await probe.inject({ method: 'GET', url })).json<Record<string, string | number | string[]>>();
    return Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)] as const);
  };
  try {
    return { api: await read('/api'), docs: await read('/docs') };
  } finally {
    await probe.close();
  }
}

const isDocsRoute = (url: string) => url === '/docs' || url.startsWith('/docs/');

/** Security headers on every response and strict CORS (exact origins from CORS_ORIGINS; none = no CORS headers). */
export async function registerSecurity(app: FastifyInstance, config: Pick<Config, 'corsOrigins'>): Promise<void> {
  const headers = await helmetHeaderSets();
  app.addHook('onRoute', (route) => {
    // @fastify/cors answers preflights on its own catch-all OPTIONS route; preflights carry no credentials.
    if (route.method === 'OPTIONS' && route.url === '*' && route.config?.policy === undefined) {
      route.config = { ...route.config, policy: 'public' };
    }
  });

  // Set on the raw response before anything else runs, as helmet does, so errors carry them too.
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.routeOptions.url;
    const set = url !== undefined && isDocsRoute(url) ? headers.docs : headers.api;
    for (const [name, value] of set) reply.raw.setHeader(name, value);
    done();
  });

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id', 'Idempotency-Key', 'Last-Event-ID'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Location'],
      credentials: false,
      maxAge: 600,
      strictPreflight: true,
    });
  }
}
