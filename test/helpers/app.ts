import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { backends, createTestDatabase, jobsSchemaFor, redisUrl, type Backend } from './db.js';

export { backends, redisUrl, type Backend };

/** A 48-character secret for tests only. */
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijklmnopqrstuv';

export interface TestApp {
  app: App;
  deps: Deps;
  config: Config;
  /** The 1NCE simulator behind the default provider account, when requested. */
  simulator?: Simulator;
  /** The simulator's origin (for /_simulator control calls). */
  simulatorOrigin?: string;
  /** Id of the default provider account (set when a simulator was requested). */
  accountId?: string;
  close(): Promise<void>;
}

export interface BuildTestAppOptions {
  backend?: Backend;
  env?: Record<string, string>;
  /** Use TEST_REDIS_URL with a unique key prefix. Throws if it is not set (callers choose, never skip). */
  redis?: boolean;
  /**
   * Start a 1NCE simulator on a free port and register it as the default provider account.
   * Defaults: 100 SIMs, seed 7, observed mode, a high /sims limit so tests are not paced.
   */
  simulator?: boolean | Partial<SimulatorOptions>;
  /** Clock in ms of access tokens and password changes (default `Date.now`): tests move it instead of sleeping. */
  identityClock?: () => number;
}

/** The base environment every test app starts from; `env` overrides it. */
export function testEnv(overrides: Record<string, string> = {}, dataDir?: string): Record<string, string> {
  return {
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    ONCE_CLIENT_ID: 'test-client',
    ONCE_CLIENT_SECRET: 'test-secret',
    ...(dataDir !== undefined && { DATA_DIR: dataDir }),
    ...overrides,
  };
}

/** Builds the real app on a fresh isolated database; drive it with `app.inject()`. */
export async function buildTestApp(options: BuildTestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-test-'));
  const env = testEnv(options.env, dataDir);
  if (options.redis === true) {
    if (redisUrl === undefined) throw new Error('redis requested but TEST_REDIS_URL is not set');
    env.REDIS_URL = redisUrl;
    env.REDIS_PREFIX = `test:${randomBytes(6).toString('hex')}:`;
  }
  let simulator: Simulator | undefined;
  let simulatorOrigin: string | undefined;
  if (options.simulator !== undefined && options.simulator !== false) {
    const overrides = options.simulator === true ? {} : options.simulator;
    simulator = await createSimulator({
      port: 0,
      fleetSize: 100,
      seed: 7,
      clientId: 'test-client',
      clientSecret: 'test-secret',
      mode: 'observed',
      simsRps: 1000,
      ...overrides,
    });
    const url = await simulator.listen(0, '127.0.0.1');
    simulatorOrigin = new URL(url).origin;
    env.ONCE_API_URL = url;
    env.ONCE_CLIENT_ID = overrides.clientId ?? 'test-client';
    env.ONCE_CLIENT_SECRET = overrides.clientSecret ?? 'test-secret';
  }
  const metrics = createMetrics();
  const testDb = await createTestDatabase(options.backend ?? 'pglite', metrics.db);
  if (testDb.schema !== undefined && env.JOBS_SCHEMA === undefined) env.JOBS_SCHEMA = jobsSchemaFor(testDb.schema);
  const config = loadConfig(env);
  const deps = await createDeps(config, createLogger(config), {
    database: testDb.database,
    metrics,
    ...(options.identityClock !== undefined && { identityClock: options.identityClock }),
  });
  let accountId: string | undefined;
  if (simulator !== undefined) {
    const { apiUrl, clientId, clientSecret } = config.provider;
    accountId = (await deps.accounts.ensureDefaultAccount({ apiUrl, clientId: clientId!, clientSecret: clientSecret! })).id;
  }
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    config,
    ...(simulator !== undefined && { simulator, simulatorOrigin: simulatorOrigin!, accountId: accountId! }),
    async close() {
      await app.close();
      // The cache namespace holds a counter without expiry (auth:gen); leave nothing behind in a shared Redis.
      if (options.redis === true) await deps.cache.deleteByPrefix('');
      await deps.close();
      await simulator?.close();
      await testDb.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
