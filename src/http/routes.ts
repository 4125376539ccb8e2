import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { healthRoutes } from './routes/health.routes.js';
import { systemRoutes } from './routes/system.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { usersRoutes } from './routes/users.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import { smsRoutes } from './routes/sms.routes.js';

/** Registers every route plugin explicitly, with its prefix. */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(healthRoutes(deps));
  await app.register(systemRoutes(deps.metrics));
  await app.register(authRoutes(deps.identity), { prefix: '/api/v1/auth' });
  await app.register(usersRoutes(deps.identity.users), { prefix: '/api/v1/users' });
  await app.register(auditRoutes(deps.audit), { prefix: '/api/v1/audit' });
  await app.register(smsRoutes(deps.sms), { prefix: '/api/v1/sims' });
}
