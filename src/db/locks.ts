import { sql, type QueryExecutorProvider } from 'kysely';
import type { Database } from './client.js';

/**
 * Advisory locks for start-up steps that create something (migrations, the job engine's schema
 * and queues, the default provider account, the first sweep): replicas starting together on one
 * database take turns instead of racing on a unique index. Keys include the current schema, so
 * isolated schemas (tests) do not serialise each other. On PGlite (one process, one connection)
 * the same functions exist and never wait.
 */

/** Takes a transaction-scoped lock; it is released at commit or rollback. */
export async function lockForTransaction(trx: QueryExecutorProvider, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`simfleet.${key}:`} || current_schema()))`.execute(trx);
}

/**
 * Runs `fn` while holding a session lock on a connection of its own, so `fn` may use the pool
 * (other connections) freely. PGlite has one connection: holding it would block `fn`, and there is
 * nobody to wait for, so `fn` just runs.
 */
export async function withSessionLock<T>(database: Pick<Database, 'kind' | 'withConnection'>, key: string, fn: () => Promise<T>): Promise<T> {
  if (database.kind === 'pglite') return fn();
  const lockKey = `simfleet.${key}:`;
  return database.withConnection(async (conn) => {
    await conn.query('select pg_advisory_lock(hashtext($1 || current_schema()))', [lockKey]);
    try {
      return await fn();
    } finally {
      await conn.query('select pg_advisory_unlock(hashtext($1 || current_schema()))', [lockKey]);
    }
  });
}
