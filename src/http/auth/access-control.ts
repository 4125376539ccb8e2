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
  deps: Pick<Deps, 'config' | 'identity' | 'metrics' | 'audit' | 'redis'>,
): Promise<void> {
  await registerSecurity(app, deps.config);
  const rateLimit = await registerApiRateLimit(app, deps.config, deps.redis);
  refuseQueryCredentials(app);
  installAuth(app, deps, rateLimit);
  installAuditHook(app, deps.audit);
}
