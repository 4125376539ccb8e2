import type { Logger } from 'pino';
import { buildApp, type App } from './app.js';
import type { Config } from './config.js';
import { createDeps, type Deps, type DepsOverrides } from './deps.js';
import { migrate } from './db/migrate.js';
import { withSessionLock } from './db/locks.js';
import { resolveJwtSecret } from './secrets.js';
import { assertWritableDirectory } from './db/storage.js';
import { DEMO_ADMIN_USERNAME, ensureFirstAdmin } from './modules/users/bootstrap.js';
import { randomBytes } from 'node:crypto';
import { createSimulator, type Simulator, type StreamerOptions } from './simulator/index.js';

/** A running platform: the listening app plus what `stop()` must shut down, in order. */
export interface Platform {
  app: App;
  deps: Deps;
  /** Base URL the HTTP server listens on. */
  url: string;
  /** What a newcomer needs to sign in, for the start banner and the "ready" log line. */
  welcome: Welcome;
  stop(): Promise<void>;
}

/** The start summary: where to go and how to sign in. */
export interface Welcome {
  demoMode: boolean;
  /** The first admin's username, when this start or an earlier one created it from the configuration. */
  adminUsername?: string;
  /** The generated demo password, only on the start that created the admin (it is stored nowhere). */
  adminPassword?: string;
}

/**
 * Starts the platform for a configuration: dependencies, migrations (under an advisory lock),
 * the HTTP app, then background work for the `worker`/`all` roles. `stop()` drains in reverse.
 */
export async function startPlatform(config: Config, logger: Logger, overrides: DepsOverrides = {}): Promise<Platform> {
  // DATA_DIR holds the embedded database and the demo secret: say clearly if it cannot (db/storage.ts).
  if (config.jwtSecret === undefined && overrides.database === undefined) assertWritableDirectory(config.dataDir);
  const jwt = resolveJwtSecret(config.jwtSecret, config.dataDir);
  let resolved: Config = { ...config, jwtSecret: jwt.secret };
  if (jwt.generated) logger.info('demo mode: generated a JWT signing secret under DATA_DIR');

  // Demo mode: the simulator's Data Streamer feeds our own ingest endpoint. Its URL is known once
  // the app listens; the emitter reads `url` at each POST and retries until then.
  let demoStreamer: StreamerOptions | undefined;
  if (config.demoMode) {
    const username = config.streamer.username ?? 'demo-streamer';
    const password = config.streamer.password ?? randomBytes(18).toString('base64url');
    demoStreamer = { url: `http://127.0.0.1:${config.port}/api/v1/streams/1nce`, username, password };
    resolved = { ...resolved, streamer: { ...resolved.streamer, username, password } };
  }
  const simulator = config.demoMode ? await startDemoSimulator(config, logger, demoStreamer) : undefined;
  if (simulator !== undefined) {
    resolved = {
      ...resolved,
      provider: { ...resolved.provider, apiUrl: simulator.url, clientId: config.simulator.clientId, clientSecret: config.simulator.clientSecret },
    };
  }

  let deps: Deps;
  try {
    deps = await createDeps(resolved, logger, overrides);
  } catch (error) {
    await simulator?.sim.close();
    throw error;
  }
  let app: App | undefined;
  try {
    const started = performance.now();
    const result = await migrate(deps.database);
    logger.info(
      { applied: result.applied, already_applied: result.alreadyApplied, ms: Math.round(performance.now() - started) },
      result.applied.length > 0 ? 'database migrated' : 'database schema up to date',
    );
    logger.info({ database: deps.database.kind, cache: deps.cache.kind, role: config.role }, 'dependencies ready');
    if (deps.database.kind === 'postgres' && deps.cache.kind === 'memory') {
      // Fine for one process; with several, a credential change reaches the others only when their
      // cached lookups expire (30 s), and caches, throttles and the provider budget are per process.
      logger.warn('REDIS_URL is not set: caches, login throttling and the 1NCE request budget are per process; run a single replica or set REDIS_URL');
    }
    const admin = await ensureFirstAdmin({ config: deps.config, users: deps.identity.users, audit: deps.audit, logger });
    const adminUsername = admin.created ? admin.username : (config.admin.username ?? (config.demoMode ? DEMO_ADMIN_USERNAME : undefined));
    const welcome: Welcome = {
      demoMode: config.demoMode,
      ...(adminUsername !== undefined && { adminUsername }),
      ...(admin.created && admin.generatedPassword && { adminPassword: admin.password }),
    };

    const { apiUrl, clientId, clientSecret } = resolved.provider;
    if (clientId !== undefined && clientSecret !== undefined) {
      const account = await deps.accounts.ensureDefaultAccount({ apiUrl, clientId, clientSecret });
      logger.info({ account: account.name, api_url: apiUrl }, 'default provider account registered');
    }

    // Default alert rules exist from the first start, so the first sweep's quotas raise alerts at once.
    const rules = await deps.alerts.ensureDefaultRules();
    if (rules > 0) logger.info({ rules }, 'created the default alert rules');

    app = await buildApp(deps);
    const url = await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    if (demoStreamer !== undefined && typeof address === 'object' && address !== null) {
      demoStreamer.url = `http://127.0.0.1:${address.port}/api/v1/streams/1nce`;
    }
    // 'api' only sends jobs; 'worker' and 'all' also run handlers, schedules and maintenance.
    await deps.jobs.start();
    await requestFirstSweep(deps, logger);
    const running = app;

    let stopping: Promise<void> | undefined;
    return {
      app: running,
      deps,
      url,
      welcome,
      stop: () =>
        (stopping ??= (async () => {
          deps.lifecycle.shuttingDown = true;
          // Stop accepting connections and wait for in-flight requests, then close what they used.
          await running.close();
          // Jobs stop after HTTP has drained (requests may enqueue) and before the database closes.
          await deps.jobs.stop();
          await deps.close();
          await simulator?.sim.close();
        })()),
    };
  } catch (error) {
    await app?.close();
    await deps.close();
    await simulator?.sim.close();
    throw error;
  }
}

/**
 * A fresh installation has no SIMs until the first scheduled sweep (up to SYNC_SIMS_INTERVAL_MINUTES
 * away): queue one now, once per install. Replicas starting together take turns under an advisory
 * lock, and the first records an install marker; the others find it and queue nothing, even when the
 * first sweep is already running (a queue-level singleton would let a second one queue behind it).
 */
export async function requestFirstSweep(deps: Pick<Deps, 'accounts' | 'database' | 'jobs'>, logger: Logger): Promise<'queued' | 'not-needed' | 'already-requested'> {
  const accountId = await deps.accounts.defaultAccountId();
  if (accountId === undefined) return 'not-needed';
  const { db } = deps.database;
  const key = `first-sweep:${accountId}`;
  try {
    return await withSessionLock(deps.database, 'first-sweep', async () => {
      const marked = await db.selectFrom('install_markers').select('key').where('key', '=', key).executeTakeFirst();
      if (marked !== undefined) return 'already-requested';
      const any = await db.selectFrom('sims').select('id').where('account_id', '=', accountId).limit(1).executeTakeFirst();
      let outcome: 'queued' | 'not-needed' = 'not-needed';
      if (any === undefined) {
        const jobId = await deps.jobs.send('sync-sims', {}, { singletonKey: 'first-sweep' });
        logger.info({ job_id: jobId }, 'no SIMs stored yet: first fleet sweep queued');
        outcome = 'queued';
      }
      await db.insertInto('install_markers').values({ key, created_by: deps.jobs.workerId }).onConflict((oc) => oc.doNothing()).execute();
      return outcome;
    });
  } catch (error) {
    logger.warn({ err: error }, 'could not queue the first fleet sweep; the schedule will run it');
    return 'not-needed';
  }
}

/**
 * Demo mode: with no 1NCE credentials the built-in simulator plays 1NCE in-process, with a seeded
 * fleet, and the provider client is pointed at it.
 */
async function startDemoSimulator(config: Config, logger: Logger, streamer?: StreamerOptions): Promise<{ sim: Simulator; url: string }> {
  const sim = await createSimulator({ ...config.simulator, ...(streamer !== undefined && { streamer }) });
  const url = await sim.listen(config.simulator.port, '127.0.0.1');
  logger.warn(
    { simulator_url: url, fleet_size: config.simulator.fleetSize, seed: config.simulator.seed, mode: config.simulator.mode },
    'DEMO MODE: no 1NCE credentials (ONCE_CLIENT_ID/ONCE_CLIENT_SECRET) are set, so the built-in 1NCE simulator stands in for 1NCE',
  );
  return { sim, url };
}
