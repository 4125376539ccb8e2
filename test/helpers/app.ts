import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { backends, createTestDatabase, redisUrl, type Backend } from './db.js';

export { backends, redisUrl, type Backend };

/** A 48-character secret for tests only. */
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijklmnopqrstuv';

export interface TestApp {
  app: App;
  deps: Deps;
  config: Config;
  close(): Promise<void>;
}

export interface BuildTestAppOptions {
  backend?: Backend;
  env?: Record<string, string>;
  /** Use TEST_REDIS_URL with a unique key prefix. Throws if it is not set (callers choose, never skip). */
  redis?: boolean;
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
  const config = loadConfig(env);
  const metrics = createMetrics();
  const testDb = await createTestDatabase(options.backend ?? 'pglite', metrics.db);
  const deps = await createDeps(config, createLogger(config), { database: testDb.database, metrics });
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    config,
    async close() {
      await app.close();
      await deps.close();
      await testDb.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
