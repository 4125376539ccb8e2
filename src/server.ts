import type { Logger } from 'pino';
import { buildApp, type App } from './app.js';
import type { Config } from './config.js';
import { createDeps, type Deps, type DepsOverrides } from './deps.js';
import { migrate } from './db/migrate.js';
import { resolveJwtSecret } from './secrets.js';

/** A running platform: the listening app plus what `stop()` must shut down, in order. */
export interface Platform {
  app: App;
  deps: Deps;
  /** Base URL the HTTP server listens on. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the platform for a configuration: dependencies, migrations (under an advisory lock),
 * the HTTP app, then background work for the `worker`/`all` roles. `stop()` drains in reverse.
 */
export async function startPlatform(config: Config, logger: Logger, overrides: DepsOverrides = {}): Promise<Platform> {
  const jwt = resolveJwtSecret(config.jwtSecret, config.dataDir);
  const resolved: Config = { ...config, jwtSecret: jwt.secret };
  if (jwt.generated) logger.info('demo mode: generated a JWT signing secret under DATA_DIR');

  const deps = await createDeps(resolved, logger, overrides);
  let app: App | undefined;
  try {
    const started = performance.now();
    const result = await migrate(deps.database);
    logger.info(
      { applied: result.applied, already_applied: result.alreadyApplied, ms: Math.round(performance.now() - started) },
      result.applied.length > 0 ? 'database migrated' : 'database schema up to date',
    );
    logger.info({ database: deps.database.kind, cache: deps.cache.kind, role: config.role }, 'dependencies ready');

    app = await buildApp(deps);
    const url = await app.listen({ port: config.port, host: config.host });
    const running = app;

    let stopping: Promise<void> | undefined;
    return {
      app: running,
      deps,
      url,
      stop: () =>
        (stopping ??= (async () => {
          deps.lifecycle.shuttingDown = true;
          // Stop accepting connections and wait for in-flight requests, then close what they used.
          await running.close();
          await deps.close();
        })()),
    };
  } catch (error) {
    await app?.close();
    await deps.close();
    throw error;
  }
}
