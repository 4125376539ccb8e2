import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createDb } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite-pool.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

/**
 * Runs once before all test files: builds one migrated PGlite data directory (initdb plus every
 * migration costs seconds; loading a dump costs a fraction of that) and proves the real services
 * named by TEST_DATABASE_URL / TEST_REDIS_URL answer, failing loudly instead of skipping.
 */
export default async function setup(project: TestProject): Promise<void> {
  const started = performance.now();
  const pglite = await openPglite(undefined);
  const database = await createDb({ databaseUrl: undefined, dataDir: '', pglite });
  await migrate(database);
  const dump = await pglite.dumpDataDir('none');
  const file = path.resolve('.tmp', `pglite-template-${process.pid}.tar`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await database.close();
  project.provide('pgliteTemplate', file);

  const databaseUrl = process.env.TEST_DATABASE_URL;
  if (databaseUrl !== undefined && databaseUrl !== '') {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      await client.query('select 1');
    } catch (error) {
      throw new Error(`TEST_DATABASE_URL is set but PostgreSQL cannot be reached: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const redisUrl = process.env.TEST_REDIS_URL;
  if (redisUrl !== undefined && redisUrl !== '') {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 5_000 });
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      throw new Error(`TEST_REDIS_URL is set but Redis cannot be reached: ${(error as Error).message}`);
    } finally {
      redis.disconnect();
    }
  }
  console.log(
    `test setup: PGlite template ready in ${Math.round(performance.now() - started)} ms; ` +
      `backends: pglite${databaseUrl ? ' + postgres' : ''}${redisUrl ? ', redis' : ''}`,
  );
}
