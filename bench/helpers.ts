/** What the PostgreSQL benchmarks share: where the database is, scratch schemas, a base environment. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** BENCH_DATABASE_URL, else TEST_DATABASE_URL (undefined when neither is set). */
export function configuredDatabaseUrl(): string | undefined {
  return process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
}

/** The configured database, else the local one the development machine and CI run. */
export function benchDatabaseUrl(): string {
  return configuredDatabaseUrl() ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** Runs one statement on its own connection (schema DDL outside the app's pool). */
export async function adminQuery(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh schema name for one run (dropped afterwards with dropSchema). */
export const scratchSchemaName = () => `bench_${randomBytes(4).toString('hex')}`;

export const createSchema = (url: string, schema: string) => adminQuery(url, `create schema if not exists ${schema}`);
export const dropSchema = (url: string, schema: string) => adminQuery(url, `drop schema if exists ${schema} cascade`);

/** Configuration every benchmark app starts from: quiet logs, fixed secrets, placeholder 1NCE credentials. */
export const BENCH_ENV = {
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghijklmnopqrstuv',
  ONCE_CLIENT_ID: 'bench',
  ONCE_CLIENT_SECRET: 'bench-secret',
} as const;
