import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Deps } from './deps.js';
import { frameworkErrors, installErrorHandling, MAX_PATH_PARAM_LENGTH } from './http/error-handler.js';
import { installMetricsHooks } from './http/metrics-hooks.js';
import { installAccessControl } from './http/auth/access-control.js';
import { ProblemSchema } from './http/problem.js';
import { registerRoutes } from './http/routes.js';
import { createSerializerFactory } from './http/serialization.js';
import { createValidatorFactory } from './http/validation.js';
import { installBodyParsers } from './http/body-parsers.js';
import { defaultConsoleDir, registerConsole } from './http/console.js';
import './http/policy.js';
import { openapiOptions, withoutServers } from './http/openapi.js';

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
    // Strict JSON bodies, coercing query strings and paths, hostile text refused first (ADR 0009);
    // responses serialised from schemas rewritten for speed, byte for byte the same (ADR 0022).
    schemaController: { compilersFactory: { buildValidator: createValidatorFactory(), buildSerializer: createSerializerFactory() } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PATH_PARAM_LENGTH },
    frameworkErrors,
  });

  app.addSchema(ProblemSchema);
  installErrorHandling(app);
  installBodyParsers(app);
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

  await app.register(swagger, openapiOptions(deps.config));
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true },
    // Without PUBLIC_URL the document names the local port; the interactive docs call the origin they were loaded from.
    ...(deps.config.publicUrl === undefined && { transformSpecification: withoutServers }),
  });

  await registerRoutes(app, deps);
  await registerConsole(app, deps.config.consoleDir ?? defaultConsoleDir());
  return app;
}
