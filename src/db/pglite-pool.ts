import { PGlite, types } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

/**
 * A pg-Pool look-alike over one embedded PGlite instance, so Kysely's PostgresDialect (and the
 * migration runner) drive PGlite exactly as they drive PostgreSQL.
 *
 * PGlite is a single connection. Handing it to two callers at once would let a plain query slip
 * into someone else's open transaction, so this is a pool of size one: `connect()` waits its turn.
 */

export interface PoolClientLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number; command: string }>;
  /** Runs a multi-statement script without parameters (migrations). */
  exec(sql: string): Promise<void>;
  release(discard?: boolean): void;
}

export interface PoolLike {
  connect(): Promise<PoolClientLike>;
  end(): Promise<void>;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** How long a caller may wait for the single PGlite connection before we call it a deadlock. */
const ACQUIRE_TIMEOUT_MS = 30_000;

/** Parsers shared with the pg driver: int8 as JS number (byte counts stay far below 2^53), DATE as text. */
export const PGLITE_PARSERS = {
  [types.INT8]: (value: string) => Number(value),
  [types.DATE]: (value: string) => value,
};

function commandOf(sql: string): string {
  const match = /^\s*(?:with\b[\s\S]*?\)\s*)?([a-z]+)/i.exec(sql);
  return (match?.[1] ?? '').toUpperCase();
}

/**
 * Opens (or creates) a PGlite database; `dataDir` undefined means in memory. pg_trgm is always
 * loaded: migration 0013 installs it and the trigram index of `q` needs it on every later open.
 */
export async function openPglite(dataDir: string | undefined, loadDataDir?: Blob): Promise<PGlite> {
  return PGlite.create(dataDir, {
    parsers: PGLITE_PARSERS,
    extensions: { pg_trgm },
    ...(loadDataDir !== undefined && { loadDataDir }),
  });
}

/** Wraps a PGlite instance in a one-connection pool. `end()` closes PGlite unless `ownsDb` is false. */
export function createPglitePool(pg: PGlite, ownsDb = true): PoolLike {
  let busy = false;
  let ended = false;
  const waiters: Array<{ resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];

  const client: PoolClientLike = {
    async query(sql, params) {
      const result = await pg.query(sql, params ?? [], { rowMode: 'object' });
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length, command: commandOf(sql) };
    },
    async exec(sql) {
      await pg.exec(sql);
    },
    release() {
      const next = waiters.shift();
      if (next === undefined) {
        busy = false;
        return;
      }
      clearTimeout(next.timer);
      next.resolve();
    },
  };

  return {
    async connect() {
      if (ended) throw new Error('PGlite pool has been closed');
      if (!busy) {
        busy = true;
        return client;
      }
      await new Promise<void>((resolve, reject) => {
        const waiter = {
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.splice(waiters.indexOf(waiter), 1);
            reject(new Error(`waited ${ACQUIRE_TIMEOUT_MS} ms for the embedded database connection (a query outside its transaction?)`));
          }, ACQUIRE_TIMEOUT_MS),
        };
        waiters.push(waiter);
      });
      return client;
    },
    async end() {
      ended = true;
      for (const waiter of waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('PGlite pool has been closed'));
      }
      if (ownsDb && !pg.closed) await pg.close();
    },
    get totalCount() {
      return 1;
    },
    get idleCount() {
      return busy ? 0 : 1;
    },
    get waitingCount() {
      return waiters.length;
    },
  };
}
