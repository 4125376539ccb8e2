import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { registerSecurity } from '../security.js';
import { installAuditHook } from './audit.hook.js';
import { installAuth } from './authenticate.hook.js';
import { refuseQueryCredentials } from './query-credentials.js';
import { registerApiRateLimit } from './rate-limit.js';

/**
 * Everything that stands between a request and a handler, installed on the root instance before
 * any route: security headers and CORS, the refusal of credentials in query strings, the policy
 * check (one onRequest hook), the per-caller rate limit, and the audit of every mutating API request.
 */
export async function installAccessControl(
  app: FastifyInstance,
  deps: Pick<Deps, 'config' | 'identity' | 'metrics' | 'audit' | 'redis'> & Partial<Pick<Deps, 'peers' | 'logger'>>,
): Promise<void> {
  await registerSecurity(app, deps.config);
  const peers = deps.peers;
  const logger = deps.logger;
  const rateLimit = await registerApiRateLimit(
    app,
    deps.config,
    deps.redis,
    peers === undefined
      ? undefined
      : {
          peers,
          onMode: (mode, count) =>
            logger?.warn({ mode, peers: count }, mode === 'local' ? 'API rate limit: Redis unavailable, enforcing this process\'s share' : 'API rate limit: shared through Redis again'),
        },
  );
  refuseQueryCredentials(app);
  installAuth(app, deps, rateLimit);
  installAuditHook(app, deps.audit);
}
