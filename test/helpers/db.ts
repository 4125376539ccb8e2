import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Database, type DbObserver } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite-pool.js';

export type Backend = 'pglite' | 'postgres';

export const databaseUrl = process.env.TEST_DATABASE_URL || undefined;
export const redisUrl = process.env.TEST_REDIS_URL || undefined;

/** PGlite always; real PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export const backends: Backend[] = databaseUrl === undefined ? ['pglite'] : ['pglite', 'postgres'];

let template: Blob | undefined;

/** The job engine's own schema for a test schema, so queued jobs never leak between tests. */
export function jobsSchemaFor(schema: string): string {
  return `${schema}_jobs`;
}

export interface TestDatabase {
  database: Database;
  /** The PostgreSQL schema this test owns (postgres backend only). */
  schema?: string;
  cleanup(): Promise<void>;
}

/**
 * A fresh, migrated, isolated database: a clone of the migrated PGlite template, or a new schema
 * in the TEST_DATABASE_URL database (dropped on cleanup).
 */
export async function createTestDatabase(backend: Backend, observer?: DbObserver): Promise<TestDatabase> {
  if (backend === 'pglite') {
    template ??= new Blob([readFileSync(inject('pgliteTemplate'))]);
    const pglite = await openPglite(undefined, template);
    const database = await createDb({ databaseUrl: undefined, dataDir: '', pglite, ...(observer && { observer }) });
    return { database, cleanup: () => database.close() };
  }
  if (databaseUrl === undefined) throw new Error('postgres backend requested without TEST_DATABASE_URL');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const database = await createDb({
    databaseUrl,
    dataDir: '',
    poolMax: 5,
    searchPath: schema,
    ...(observer && { observer }),
  });
  await migrate(database);
  return {
    database,
    schema,
    async cleanup() {
      await database.close();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.query(`drop schema if exists ${jobsSchemaFor(schema)} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
