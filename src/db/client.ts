import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { DB } from './schema.js';
import { createPglitePool, openPglite, type PoolClientLike, type PoolLike } from './pglite-pool.js';

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
  close(): Promise<void>;
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

/** int8 as number (byte counts stay far below 2^53) and DATE as 'YYYY-MM-DD', same as on PGlite. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === OID_INT8) return (value: string) => Number(value);
    if (oid === OID_DATE) return (value: string) => value;
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
  if (options.databaseUrl !== undefined) {
    pool = pgPool(options.databaseUrl, options.poolMax ?? 10, options.searchPath);
    kind = 'postgres';
  } else if (options.pglite !== undefined) {
    pool = createPglitePool(options.pglite);
    kind = 'pglite';
  } else {
    const dir = path.resolve(options.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    pool = createPglitePool(await openPglite(dir));
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

  let closed = false;
  return {
    db,
    kind,
    withConnection,
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
