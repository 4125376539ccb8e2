import path from 'node:path';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { DB } from './schema.js';
import { createPglitePool, openPglite, type PoolClientLike, type PoolLike } from './pglite-pool.js';
import { assertWritableDirectory, explainOpenFailure } from './storage.js';
import { OID_TIMESTAMPTZ, parseTimestamptz } from './timestamps.js';

/** What the database layer reports to metrics; implemented by `metrics.ts`. */
export interface DbObserver {
  queryDuration(operation: string, seconds: number, failed: boolean): void;
}

/** The data layer: a typed Kysely instance plus the low-level hooks migrations and health checks need. */
export interface Database {
  db: Kysely<DB>;
  kind: 'pglite' | 'postgres';
  /** Checks out one connection for work that must share it (advisory locks, migrations). */
  withConnection<T>(fn: (conn: PoolClientLike) => Promise<T>): Promise<T>;
  /** A cheap round trip for readiness checks. */
  ping(): Promise<void>;
  pool: Pick<PoolLike, 'totalCount' | 'idleCount' | 'waitingCount'>;
  /**
   * LISTENs on `channel` (a lowercase identifier) on a connection of its own: PostgreSQL delivers
   * NOTIFYs from every process on the database, PGlite those of this process. On PostgreSQL a lost
   * connection is re-established with backoff and `onReconnect` is called once listening again
   * (notifications sent meanwhile are lost; the caller catches up from its own table).
   */
  listen(channel: string, handlers: ListenHandlers): Promise<Listener>;
  close(): Promise<void>;
}

/** Callbacks of `Database.listen`. */
export interface ListenHandlers {
  onNotify(payload: string): void;
  onReconnect?(): void;
  onError?(error: Error): void;
}

/** A LISTEN connection; `close()` stops listening (idempotent). */
export interface Listener {
  close(): Promise<void>;
}

const LISTEN_RETRY_MAX_MS = 5_000;
const CHANNEL_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** A dedicated pg connection (outside the pool) that LISTENs and reconnects until closed. */
async function pgListen(url: string, searchPath: string | undefined, channel: string, handlers: ListenHandlers): Promise<Listener> {
  let client: pg.Client | undefined;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;

  const open = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString: url,
      ...(searchPath !== undefined && { options: `-c search_path=${searchPath}` }),
      application_name: 'simfleet-listen',
      connectionTimeoutMillis: 10_000,
    });
    c.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) handlers.onNotify(message.payload);
    });
    const lost = (error?: Error) => {
      if (client !== c) return;
      client = undefined;
      c.removeAllListeners('notification');
      c.end().catch(() => undefined);
      if (error !== undefined) handlers.onError?.(error);
      schedule();
    };
    // An error on an idle LISTEN connection must never crash the process: reconnect instead.
    c.on('error', (error) => lost(error));
    c.on('end', () => lost());
    await c.connect();
    await c.query(`LISTEN ${channel}`);
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    attempt = 0;
  };

  const schedule = () => {
    if (closed || timer !== undefined) return;
    const delay = Math.min(LISTEN_RETRY_MAX_MS, 100 * 2 ** attempt++);
    timer = setTimeout(() => {
      timer = undefined;
      open().then(
        () => {
          if (!closed) handlers.onReconnect?.();
        },
        (error: unknown) => {
          handlers.onError?.(error instanceof Error ? error : new Error(String(error)));
          schedule();
        },
      );
    }, delay);
    timer.unref();
  };

  await open();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

export interface CreateDbOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolMax?: number;
  observer?: DbObserver;
  /** Use this PGlite instance instead of opening one (tests clone a migrated template). */
  pglite?: PGlite;
  /** Postgres search_path for this pool (tests isolate by schema). */
  searchPath?: string;
}

const OID_INT8 = 20;
const OID_DATE = 1082;
const OID_NUMERIC_ARRAY = 1231;
const OID_TEXT_ARRAY = 1009; // text[]: its parser yields string[]

/** int8 as number (byte counts stay far below 2^53) and DATE as 'YYYY-MM-DD', same as on PGlite; timestamptz read faster (timestamps.ts). */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === OID_INT8) return (value: string) => Number(value);
    if (oid === OID_DATE) return (value: string) => value;
    if (oid === OID_TIMESTAMPTZ && format !== 'binary') return parseTimestamptz;
    // numeric[] as strings (pg would parse floats), matching PGlite and the numeric-as-string rule.
    if (oid === OID_NUMERIC_ARRAY) return pg.types.getTypeParser(OID_TEXT_ARRAY as never, format) as (value: string) => unknown;
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

function operationOf(sql: string): string {
  const word = /^\s*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return ['select', 'insert', 'update', 'delete', 'with'].includes(word) ? word : 'other';
}

function pgPool(url: string, poolMax: number, searchPath: string | undefined): PoolLike {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    types: pgTypes,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    ...(searchPath !== undefined && { options: `-c search_path=${searchPath}` }),
    application_name: 'simfleet',
  });
  // A client losing its server (PostgreSQL restarted, network cut) must not crash the process: idle
  // clients report through the pool, checked-out ones through their own 'error' event. Either way the
  // query in flight fails (503 at the edge), pg-pool drops the dead client on release and the next
  // checkout reconnects.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return {
    async connect() {
      const client = await pool.connect();
      return {
        async query(sql, params) {
          const result = await client.query(sql, params);
          return { rows: result.rows as unknown[], rowCount: result.rowCount ?? 0, command: result.command };
        },
        async exec(sql) {
          await client.query(sql);
        },
        release(discard) {
          client.release(discard === true ? true : undefined);
        },
      };
    },
    end: () => pool.end(),
    get totalCount() {
      return pool.totalCount;
    },
    get idleCount() {
      return pool.idleCount;
    },
    get waitingCount() {
      return pool.waitingCount;
    },
  };
}

/** Creates the database layer: a `pg` pool when `databaseUrl` is set, embedded PGlite under `dataDir` otherwise. */
export async function createDb(options: CreateDbOptions): Promise<Database> {
  let pool: PoolLike;
  let kind: Database['kind'];
  let pglite: PGlite | undefined;
  if (options.databaseUrl !== undefined) {
    pool = pgPool(options.databaseUrl, options.poolMax ?? 10, options.searchPath);
    kind = 'postgres';
  } else {
    if (options.pglite !== undefined) {
      pglite = options.pglite;
    } else {
      const dir = path.resolve(options.dataDir, 'pglite');
      // A clear error before PGlite touches anything: unwritable, read-only or full (db/storage.ts).
      assertWritableDirectory(dir);
      try {
        pglite = await openPglite(dir);
      } catch (error) {
        throw explainOpenFailure(dir, error);
      }
    }
    pool = createPglitePool(pglite);
    kind = 'pglite';
  }

  // Kysely only ends a pool it has used; close() must end it either way, exactly once.
  const endPool = pool.end.bind(pool);
  let ended: Promise<void> | undefined;
  pool.end = () => (ended ??= endPool());

  const observer = options.observer;
  const log =
    observer === undefined
      ? undefined
      : (event: LogEvent) => {
          observer.queryDuration(operationOf(event.query.sql), event.queryDurationMillis / 1000, event.level === 'error');
        };

  const db = new Kysely<DB>({
    // The dialect only calls connect() and end(); both pool kinds provide pg-compatible clients.
    dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }),
    ...(log !== undefined && { log }),
  });

  const withConnection = async <T>(fn: (conn: PoolClientLike) => Promise<T>): Promise<T> => {
    const conn = await pool.connect();
    let broken = false;
    try {
      return await fn(conn);
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      conn.release(broken);
    }
  };

  const listen = async (channel: string, handlers: ListenHandlers): Promise<Listener> => {
    if (!CHANNEL_PATTERN.test(channel)) throw new Error(`not a channel name: ${channel}`);
    if (options.databaseUrl !== undefined) return pgListen(options.databaseUrl, options.searchPath, channel, handlers);
    const embedded = pglite!;
    // LISTEN and UNLISTEN go through the pool's one connection, so they never land inside someone
    // else's open transaction (where a rollback would undo them).
    const unlisten = await withConnection(() => embedded.listen(channel, (payload) => handlers.onNotify(payload)));
    let stopped = false;
    return {
      async close() {
        if (stopped || embedded.closed) return;
        stopped = true;
        await withConnection(() => unlisten()).catch(() => undefined);
      },
    };
  };

  let closed = false;
  return {
    db,
    kind,
    withConnection,
    listen,
    async ping() {
      await withConnection((conn) => conn.query('select 1'));
    },
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      await pool.end();
    },
  };
}
