import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { healthRoutes } from './routes/health.routes.js';
import { systemRoutes } from './routes/system.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { usersRoutes } from './routes/users.routes.js';
import { auditRoutes } from './routes/audit.routes.js';
import { schedulerRoutes } from './routes/scheduler.routes.js';
import { alertsRoutes } from './routes/alerts.routes.js';
import { alertRulesRoutes } from './routes/alert-rules.routes.js';
import { webhooksRoutes } from './routes/webhooks.routes.js';
import { streamsRoutes } from './routes/streams.routes.js';
import { createSchedulerService } from '../jobs/scheduler.service.js';
import { everyMinutesCron } from '../jobs/schedules.js';
import { createSweepProgressRepo } from '../jobs/sweep-progress.repo.js';
import { smsRoutes } from './routes/sms.routes.js';
import { topupsRoutes } from './routes/topups.routes.js';
import { ordersRoutes } from './routes/orders.routes.js';
import { productsRoutes } from './routes/products.routes.js';
import { supportRoutes } from './routes/support.routes.js';
import { accountsRoutes } from './routes/accounts.routes.js';
import { bulkRoutes } from './routes/bulk.routes.js';
import { simsRoutes } from './routes/sims.routes.js';
import { usageRoutes } from './routes/usage.routes.js';
import { quotasRoutes } from './routes/quotas.routes.js';
import { connectivityRoutes } from './routes/connectivity.routes.js';
import { eventsRoutes } from './routes/events.routes.js';
import { fleetRoutes } from './routes/fleet.routes.js';
import { streamRoutes } from './routes/stream.routes.js';
import { mcpRoutes } from './routes/mcp.routes.js';
import { mcpTools } from '../mcp/tools/index.js';
import { diagnosisRoutes, forecastRoutes, reportsRoutes } from './routes/intelligence.routes.js';

/** Registers every route plugin explicitly, with its prefix. */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(healthRoutes(deps));
  await app.register(systemRoutes(deps.metrics));
  await app.register(authRoutes(deps.identity, deps.config.refreshTokenTtlDays), { prefix: '/api/v1/auth' });
  await app.register(usersRoutes(deps.identity.users), { prefix: '/api/v1/users' });
  await app.register(auditRoutes(deps.audit), { prefix: '/api/v1/audit' });
  await app.register(
    schedulerRoutes(
      createSchedulerService({
        jobs: deps.jobs,
        provider: deps.provider,
        sweeps: createSweepProgressRepo(deps.database.db),
        syncIntervalMinutes: everyMinutesCron(deps.config.schedules.syncSimsMinutes).minutes,
      }),
    ),
    { prefix: '/api/v1/scheduler' },
  );
  await app.register(alertsRoutes(deps.alerts), { prefix: '/api/v1/alerts' });
  await app.register(alertRulesRoutes(deps.alerts), { prefix: '/api/v1/alert-rules' });
  await app.register(webhooksRoutes(deps.webhooks), { prefix: '/api/v1/webhooks' });
  const streamOptions = {
    inflightLimitBytes: deps.config.streamer.inflightLimitBytes,
    onBusy: () => deps.metrics.background.streamer.batches.inc({ outcome: 'busy' }),
  };
  await app.register(streamsRoutes(deps.streamer, streamOptions), { prefix: '/api/v1/streams' });
  await app.register(simsRoutes(deps.fleet.sims), { prefix: '/api/v1/sims' });
  await app.register(usageRoutes(deps.fleet.usage), { prefix: '/api/v1/sims' });
  await app.register(quotasRoutes(deps.fleet.quotas), { prefix: '/api/v1/sims' });
  await app.register(connectivityRoutes(deps.fleet.connectivity), { prefix: '/api/v1/sims' });
  await app.register(eventsRoutes(deps.fleet.events), { prefix: '/api/v1/sims' });
  await app.register(smsRoutes(deps.sms), { prefix: '/api/v1/sims' });
  await app.register(topupsRoutes(deps.topups), { prefix: '/api/v1/sims' });
  await app.register(ordersRoutes(deps.orders), { prefix: '/api/v1/orders' });
  await app.register(productsRoutes(deps.products), { prefix: '/api/v1/products' });
  await app.register(supportRoutes(deps.support), { prefix: '/api/v1/support/tickets' });
  await app.register(accountsRoutes(deps.providerAccounts), { prefix: '/api/v1/accounts' });
  await app.register(bulkRoutes(deps.bulk), { prefix: '/api/v1/bulk-jobs' });
  await app.register(fleetRoutes(deps.fleetSummary), { prefix: '/api/v1/fleet' });
  await app.register(streamRoutes(deps.live.streams, deps.identity), { prefix: '/api/v1/events' });
  await app.register(mcpRoutes({ tools: mcpTools(deps), audit: deps.audit, metrics: deps.metrics, logger: deps.logger }));
  await app.register(diagnosisRoutes(deps.intelligence), { prefix: '/api/v1/sims' });
  await app.register(forecastRoutes(deps.intelligence), { prefix: '/api/v1/fleet' });
  await app.register(reportsRoutes(deps.intelligence), { prefix: '/api/v1/reports' });
}
