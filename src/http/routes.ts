import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { healthRoutes } from './routes/health.routes.js';
import { systemRoutes } from './routes/system.routes.js';

/** Registers every route plugin explicitly, with its prefix. */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(healthRoutes(deps));
  await app.register(systemRoutes(deps.metrics));
}
