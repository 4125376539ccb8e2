import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { effectOf } from '../../provider/availability.js';
import { SERVICE_NAME, VERSION } from '../../version.js';
import { runCheck, type CheckResult } from '../../lib/checks.js';

const CheckSchema = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latency_ms: Type.Number(),
  error: Type.Optional(Type.String()),
});

const ReadySchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
    checks: Type.Record(Type.String(), CheckSchema),
    degraded: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Features running in a reduced mode that do not make the process unready, e.g. a 1NCE operation retired',
      }),
    ),
  },
  { examples: [{ status: 'ready', checks: { database: { status: 'up', latency_ms: 1.2 } } }] },
);

/** Liveness (no dependencies) and readiness (database, Redis when configured). */
export function healthRoutes(deps: Pick<Deps, 'database' | 'cache' | 'redis' | 'lifecycle' | 'provider'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/health',
      {
        config: { policy: 'public' },
        schema: {
          tags: ['health'],
          summary: 'Liveness: the process is up (checks no dependency)',
          response: {
            200: Type.Object({
              status: Type.Literal('ok'),
              service: Type.String(),
              version: Type.String(),
              uptime_seconds: Type.Number(),
            }),
          },
        },
      },
      () => ({ status: 'ok' as const, service: SERVICE_NAME, version: VERSION, uptime_seconds: Math.round(process.uptime()) }),
    );

    app.get(
      '/health/live',
      {
        config: { policy: 'public' },
        schema: {
          tags: ['health'],
          summary: 'Liveness probe',
          response: { 200: Type.Object({ status: Type.Literal('alive') }) },
        },
      },
      () => ({ status: 'alive' as const }),
    );

    app.get(
      '/health/ready',
      {
        config: { policy: 'public' },
        schema: {
          tags: ['health'],
          summary: 'Readiness: 200 only when the database (and Redis, when configured) answer',
          response: { 200: ReadySchema, 503: ReadySchema },
        },
      },
      async (_request, reply) => {
        const checks: Record<string, CheckResult> = {};
        const [database, redis] = await Promise.all([
          runCheck(() => deps.database.ping()),
          deps.redis === undefined ? undefined : runCheck(() => deps.cache.ping()),
        ]);
        checks.database = database;
        if (redis !== undefined) checks.redis = redis;
        if (deps.lifecycle.shuttingDown) checks.lifecycle = { status: 'down', latency_ms: 0, error: 'shutting down' };
        const ready = Object.values(checks).every((c) => c.status === 'up');
        // A retired 1NCE operation degrades a feature; the process still serves, so it stays ready.
        const retired = await deps.provider.availability.list().catch(() => []);
        const degraded = retired.map((r) => `1NCE ${r.operation} (${r.path}) retired for account ${r.accountKey} since ${r.since}: ${effectOf(r.operation)}`);
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks, ...(degraded.length > 0 && { degraded }) });
      },
    );
  };
}
