import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createDb, type Database } from './db/client.js';
import { createMemoryCache, createRedisCache, createRedisClient, waitForRedis, type Cache, type CacheObserver } from './cache.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createAccountsService, type AccountsService } from './modules/accounts/accounts.service.js';
import { createSecretBox, type SecretBox } from './modules/accounts/secret-box.js';
import { createProviderRegistry, type ProviderRegistry } from './provider/registry.js';
import { createAuditService, type AuditService } from './modules/audit/audit.service.js';
import { createIdentity, type Identity } from './modules/users/identity.js';
import { createJobEngine, type JobEngine } from './jobs/engine.js';
import { registerJobs } from './jobs/index.js';
import { createNotifier, type Notify } from './modules/notify/notify.service.js';
import { createWebhookTargetPolicy } from './modules/webhooks/webhook-target.js';
import { createWebhooksService, type WebhooksService } from './modules/webhooks/webhooks.service.js';
import { createAlertsService, type AlertsService } from './modules/alerts/alerts.service.js';
import { createAlertTrigger, type AlertTrigger } from './modules/alerts/alerts.trigger.js';
import { createStreamerService, type StreamerService } from './modules/streamer/streamer.service.js';
import { createSmsService, type SmsService } from './modules/sms/sms.service.js';
import { createOrdersService, type OrdersService } from './modules/orders/orders.service.js';
import { createTopupsService, type TopupsService } from './modules/topups/topups.service.js';
import { createProductsService, type ProductsService } from './modules/products/products.service.js';
import { createSupportService, type SupportService } from './modules/support/support.service.js';
import { createProviderAccountsService, type ProviderAccountsService } from './modules/accounts/provider-accounts.service.js';
import { createBulkService, type BulkService } from './modules/bulk/bulk.service.js';
import { createBulkRunner, type BulkRunner } from './modules/bulk/bulk.runner.js';
import { createSimsService, type SimsService } from './modules/sims/sims.service.js';
import { createSimSync, type SimSync } from './modules/sims/sims.sync.js';
import { createUsageService, type UsageService } from './modules/usage/usage.service.js';
import { createUsageSync, type UsageSync } from './modules/usage/usage.sync.js';
import { createQuotasService, type QuotasService } from './modules/quotas/quotas.service.js';
import { createQuotasSync, type QuotasSync } from './modules/quotas/quotas.sync.js';
import { createConnectivityService, type ConnectivityService } from './modules/connectivity/connectivity.service.js';
import { createConnectivitySync, type ConnectivitySync } from './modules/connectivity/connectivity.sync.js';
import { createEventsService, type EventsService } from './modules/events/events.service.js';
import { createEventsSync, type EventsSync } from './modules/events/events.sync.js';
import { createFleetService, type FleetService } from './modules/fleet/fleet.service.js';
import { configuredSchedules } from './jobs/schedules.js';
import { createPlatformProbes, cronIntervalSeconds } from './modules/observability/platform-probes.js';
import { createStatisticsKeeper } from './db/statistics.js';
import { createLiveHub, type LiveHub } from './modules/live/live.hub.js';
import { createLiveStreams, type LiveStreams } from './modules/live/live.streams.js';
import { createPeers, singleProcess, type Peers } from './peers.js';
import { createIntelligence, type Intelligence } from './modules/intelligence/intelligence.js';

/** How long start-up waits for Redis before continuing degraded. */
const REDIS_STARTUP_WAIT_MS = 3_000;

/** Process-wide state the HTTP layer reads (readiness turns 503 while draining). */
export interface Lifecycle {
  shuttingDown: boolean;
}

/**
 * The SIM fleet: the sweep and single-SIM sync (sims/sims.sync.ts), each sub-domain's own sync
 * (provider -> database for its table), and the services behind the SIM routes.
 */
export interface Fleet {
  sync: SimSync;
  usageSync: UsageSync;
  quotasSync: QuotasSync;
  connectivitySync: ConnectivitySync;
  eventsSync: EventsSync;
  sims: SimsService;
  usage: UsageService;
  quotas: QuotasService;
  connectivity: ConnectivityService;
  events: EventsService;
}

/** Everything the app, jobs and CLI run on. `createDeps` is the only place these are wired together. */
export interface Deps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  database: Database;
  cache: Cache;
  /** The shared Redis connection when `REDIS_URL` is set (cache, throttling, provider token and budget). */
  redis: Redis | undefined;
  /** Processes sharing Redis: while Redis is down each enforces limit / peers of every shared limit (ADR 0018). */
  peers: Peers;
  lifecycle: Lifecycle;
  /** Encryption at rest for provider and webhook secrets. */
  secretBox: SecretBox;
  accounts: AccountsService;
  /** 1NCE clients, one per provider account, sharing one rate governor. */
  provider: ProviderRegistry;
  /** The append-only audit trail; `audit.record()` logs actions taken on someone's behalf. */
  audit: AuditService;
  /** Users, passwords, sessions, API keys and login throttling. */
  identity: Identity;
  /** SMS of SIMs: send (split, encoded), list, cancel, refresh from 1NCE. */
  sms: SmsService;
  /** 1NCE orders (top-ups included), stored locally. */
  orders: OrdersService;
  /** Single-SIM top-ups with Idempotency-Key. */
  topups: TopupsService;
  /** 1NCE's product catalogue, cached. */
  products: ProductsService;
  /** Support cases with 1NCE. */
  support: SupportService;
  /** Administration of provider accounts (admin API; secrets write-only). */
  providerAccounts: ProviderAccountsService;
  /** Bulk actions: selection, job records, progress, cancel, results. */
  bulk: BulkService;
  /** Executes bulk jobs (the 'bulk-job' job handler). */
  bulkRunner: BulkRunner;
  /** Background job engine (pg-boss on our database); server.ts starts it per ROLE. */
  jobs: JobEngine;
  /** Domain events -> webhook deliveries (`notify('sim.status_changed', {...})` after commit; never rejects). */
  notify: Notify;
  /** Outgoing webhook subscriptions and deliveries. */
  webhooks: WebhooksService;
  /** Alert rules, alerts, quota checks and capped automatic top-ups. */
  alerts: AlertsService;
  /** Evaluates alerts for SIMs whose quota or usage just changed (sweep, streamer). */
  alertTrigger: AlertTrigger;
  /** Data Streamer ingest; `streamer.streamHealthy(accountId)` tells the sync to back off. */
  streamer: StreamerService;
  /** SIMs, usage, quotas, connectivity, events: their services and syncs (`fleet.sync.sweep`, `fleet.quotasSync.syncQuotas`, ...). */
  fleet: Fleet;
  /** Live events across replicas (hub: publish/subscribe/replay) and this process's open SSE streams. */
  live: { hub: LiveHub; streams: LiveStreams };
  /** Fleet-wide aggregates for the console's dashboard (cached a few seconds). */
  fleetSummary: FleetService;
  /** Fleet intelligence: anomaly detection (sweep and batch), SIM diagnosis, fleet forecast, monthly report. */
  intelligence: Intelligence;
  /** Closes what was opened, in reverse order. */
  close(): Promise<void>;
}

export interface DepsOverrides {
  /** A database opened by the caller (tests: a migrated template clone or an isolated schema). */
  database?: Database;
  metrics?: Metrics;
  /** Clock in ms of access tokens and password changes (`IdentityDeps.now`); default `Date.now`. */
  identityClock?: () => number;
}

/** The composition root: builds every dependency from the configuration. */
export async function createDeps(config: Config, logger: Logger, overrides: DepsOverrides = {}): Promise<Deps> {
  const metrics = overrides.metrics ?? createMetrics();
  const database =
    overrides.database ??
    (await createDb({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolMax: config.databasePoolMax,
      observer: metrics.db,
    }));
  metrics.trackPool(database.pool);

  const cacheObserver = { lookup: (result: 'hit' | 'miss' | 'error') => metrics.cache.requests.inc({ cache: 'api', result }) };
  const redis = config.redisUrl === undefined ? undefined : createRedisClient(config.redisUrl, logger);
  if (redis !== undefined && !(await waitForRedis(redis, REDIS_STARTUP_WAIT_MS))) {
    logger.warn('redis did not answer at start-up; serving without it until it does');
  }
  const peers = redis === undefined ? singleProcess() : createPeers({ redis, key: `${config.redisPrefix}peers` });
  const cache = redis === undefined ? createMemoryCache(cacheObserver) : createRedisCache(redis, `${config.redisPrefix}cache:`, cacheObserver);

  const keyMaterial = config.encryptionKey ?? config.jwtSecret;
  if (keyMaterial === undefined) throw new Error('ENCRYPTION_KEY or JWT_SECRET must be resolved before creating dependencies');
  const secretBox = createSecretBox(keyMaterial);
  const accounts = createAccountsService({ db: database.db, secretBox });
  const provider = createProviderRegistry({
    loadAccount: (id) => accounts.loadForClient(id),
    timeoutMs: config.provider.timeoutMs,
    metrics: metrics.provider,
    logger: logger.child({ component: 'provider' }),
    keyPrefix: `${config.redisPrefix}provider`,
    usage: { source: config.provider.usageSource, v2Path: config.provider.usageV2Path },
    ...(redis !== undefined && { redis, peers: () => peers.count() }),
  });
  const audit = createAuditService({ db: database.db, logger });
  // Authentication lookups get their own store instance over the same Redis namespace (or their own
  // in-memory map): hits and misses are counted under cache="auth", and in memory they never compete
  // with SIM entries for the size bound. Hit = answered without the database; store errors count per key.
  const authCacheObserver: CacheObserver = { lookup: (result) => metrics.cache.requests.inc({ cache: 'auth', result }) };
  const authStoreErrors: CacheObserver = {
    lookup: (result) => {
      if (result === 'error') authCacheObserver.lookup(result);
    },
  };
  const authCacheStore = redis === undefined ? createMemoryCache() : createRedisCache(redis, `${config.redisPrefix}cache:`, authStoreErrors);
  const identity = createIdentity({
    db: database.db,
    config,
    metrics,
    logger,
    redis,
    audit,
    authCacheStore,
    authCacheObserver,
    ...(overrides.identityClock !== undefined && { now: overrides.identityClock }),
  });
  metrics.trackActiveApiKeys(() => identity.apiKeys.countActive());
  const jobs = createJobEngine({
    database,
    logger: logger.child({ component: 'jobs' }),
    metrics: metrics.background.jobs,
    role: config.role,
    schema: config.jobsSchema,
    leaseSeconds: config.jobLeaseSeconds,
    stopTimeoutMs: config.shutdownTimeoutMs,
  });
  const webhookTargets = createWebhookTargetPolicy({
    allowedHosts: config.webhooks.allowedHosts,
    allowPrivate: config.webhooks.allowPrivate,
    // Demo mode runs everything on one machine; loopback receivers are how it is tried out.
    allowLoopback: config.demoMode,
  });
  const webhooks = createWebhooksService({ db: database.db, secretBox, logger, metrics: metrics.background.webhooks, targets: webhookTargets });
  const liveHub = createLiveHub({ database, logger: logger.child({ component: 'live' }) });
  const liveStreams = createLiveStreams({
    hub: liveHub,
    logger: logger.child({ component: 'live' }),
    maxPerUser: config.live.streamsPerUser,
    heartbeatMs: config.live.heartbeatSeconds * 1000,
    observer: metrics.live,
  });
  const notify = createNotifier({ webhooks, jobs, logger, live: liveHub });
  const alerts = createAlertsService({ db: database.db, logger, metrics: metrics.background.alerts, notify, provider, audit });
  const statistics = createStatisticsKeeper(database.db, { embedded: database.kind === 'pglite', logger: logger.child({ component: 'statistics' }) });
  // Alerts follow quota and usage changes within a second instead of waiting for 'check-quotas'.
  // Anomaly rules are evaluated for the same SIMs right after the quota rules (every streamer batch, detail sync).
  const alertTrigger = createAlertTrigger({
    evaluate: async (iccids) => {
      const quota = await alerts.evaluateSims(iccids);
      const anomalies = await intelligence.anomalies.evaluateSims(iccids);
      return { sims: quota.sims, raised: quota.raised + anomalies.raised, cleared: quota.cleared + anomalies.cleared };
    },
    logger: logger.child({ component: 'alerts' }),
  });
  const quotaChanged = (iccids: string[]) => alertTrigger.changed(iccids);
  const streamer = createStreamerService({ db: database.db, logger, metrics: metrics.background.streamer, notify, statistics, quotaChanged });
  const sms = createSmsService({ db: database.db, provider, audit, logger, notify });
  const orders = createOrdersService({ db: database.db, provider, audit, logger });
  const topups = createTopupsService({ db: database.db, provider, audit, orders });
  const products = createProductsService({ db: database.db, provider, cache });
  const support = createSupportService({ db: database.db, provider, audit, logger });
  const providerAccounts = createProviderAccountsService({ db: database.db, secretBox, provider });
  const bulk = createBulkService({ db: database.db, logger, jobs: () => (jobs.started ? jobs : undefined), notify });
  const bulkRunner = createBulkRunner({ db: database.db, cache, provider, audit, topups, sms, logger: logger.child({ component: 'bulk' }), notify, statistics });
  // The fleet: each sub-domain syncs its own table; the sweep calls the quota and usage syncs.
  const fleetLogger = logger.child({ component: 'fleet' });
  const jobSender = () => (jobs.started ? jobs : undefined);
  const usageSync = createUsageSync({ db: database.db, cache, provider, audit, logger: fleetLogger, quotaChanged });
  const quotasSync = createQuotasSync({ db: database.db, cache, provider, audit, quotaChanged });
  const connectivitySync = createConnectivitySync({ db: database.db, cache, provider, audit });
  const eventsSync = createEventsSync({ db: database.db, provider, audit });
  const simSync = createSimSync({
    db: database.db,
    cache,
    provider,
    accounts,
    audit,
    logger: fleetLogger,
    details: { syncQuotas: quotasSync.syncQuotas, syncRecentUsage: usageSync.syncRecentUsage },
    notify,
    streamHealthy: (accountId) => streamer.streamHealthy(accountId),
    statistics,
  });
  const fleet: Fleet = {
    sync: simSync,
    usageSync,
    quotasSync,
    connectivitySync,
    eventsSync,
    sims: createSimsService({ db: database.db, cache, provider, accounts, audit, sync: simSync, notify, statistics, jobs: jobSender }),
    usage: createUsageService({ db: database.db, cache, sync: usageSync }),
    quotas: createQuotasService({ db: database.db, sync: quotasSync }),
    connectivity: createConnectivityService({ db: database.db, provider, audit, sync: { ...connectivitySync, ...eventsSync } }),
    events: createEventsService({ db: database.db, sync: eventsSync }),
  };

  const intelligence = createIntelligence({
    db: database.db,
    cache,
    alerts,
    sims: fleet.sims,
    products,
    audit,
    notify,
    logger: logger.child({ component: 'intelligence' }),
    metrics: metrics.intelligence,
  });

  const fleetSummary = createFleetService({
    db: database.db,
    cache,
    providerUsage: () => provider.governor.usage(),
    pingDatabase: () => database.ping(),
    pingRedis: redis === undefined ? undefined : () => cache.ping(),
  });

  const deps: Deps = {
    config,
    logger,
    jobs,
    notify,
    webhooks,
    alerts,
    alertTrigger,
    streamer,
    metrics,
    database,
    cache,
    redis,
    peers,
    lifecycle: { shuttingDown: false },
    secretBox,
    accounts,
    provider,
    audit,
    identity,
    sms,
    orders,
    topups,
    products,
    support,
    providerAccounts,
    bulk,
    bulkRunner,
    fleet,
    fleetSummary,
    intelligence,
    live: { hub: liveHub, streams: liveStreams },
    async close() {
      liveStreams.closeAll();
      await jobs.stop();
      await alertTrigger.stop();
      await liveHub.stop();
      identity.authCache.close();
      await authCacheStore.close();
      await cache.close();
      await peers.stop();
      if (redis !== undefined) redis.disconnect();
      await database.close();
    },
  };
  registerJobs(deps);

  const schedules = configuredSchedules(config);
  metrics.setBuildInfo(config.role);
  metrics.setJobIntervals(Object.fromEntries(Object.entries(schedules).map(([job, s]) => [job, cronIntervalSeconds(s.cron, new Date())])));
  metrics.trackPlatform(
    createPlatformProbes({
      db: database.db,
      cache,
      pingDatabase: () => database.ping(),
      pingRedis: redis === undefined ? undefined : () => cache.ping(),
      queueNames: () => jobs.definitions().map((d) => d.name),
      queueSize: (name) => (jobs.started ? jobs.queueSize(name) : undefined),
      scheduledJobs: Object.keys(schedules),
    }),
  );
  return deps;
}
