import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Deps } from './deps.js';
import { frameworkErrors, installErrorHandling } from './http/error-handler.js';
import { installMetricsHooks } from './http/metrics-hooks.js';
import { installAccessControl } from './http/auth/access-control.js';
import { ProblemSchema } from './http/problem.js';
import { registerRoutes } from './http/routes.js';
import './http/policy.js';
import { VERSION } from './version.js';

/** Incoming X-Request-Id values are reused only when they look like an id, never arbitrary text. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdFrom(request: { headers: FastifyRequest['headers'] }): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
}

export type App = FastifyInstance;

/** Builds the HTTP application without listening; tests drive it with `app.inject()`. */
export async function buildApp(deps: Deps): Promise<App> {
  // Typed as Fastify's logger so the instance stays a plain FastifyInstance (not one generic over pino's Logger).
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: deps.config.trustProxy,
    genReqId: requestIdFrom,
    requestIdHeader: false,
    return503OnClosing: true,
    ajv: {
      customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true },
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    frameworkErrors,
  });

  app.addSchema(ProblemSchema);
  installErrorHandling(app);
  installMetricsHooks(app, deps.metrics);
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  // Routes registered by plugins (the docs UI) are public documentation; everything else declares a policy.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs') && route.config?.policy === undefined) {
      route.config = { ...route.config, policy: 'public' };
    }
  });

  await installAccessControl(app, deps);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SIM fleet platform API',
        version: VERSION,
        description:
          'Self-hosted control plane for IoT SIM fleets on 1NCE. Authenticate with `Authorization: Bearer <access token>` ' +
          'or `X-API-Key: <key>`; either one is enough. Errors are RFC 9457 problem documents with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      tags: [
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'system', description: 'Metrics and API description' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });

  await registerRoutes(app, deps);
  return app;
}
