import type { Database } from '../db/client.js';

/** The database seam pg-boss accepts in place of its own pool (`new PgBoss({ db })`). */
export interface PgBossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** True when `sql` holds more than one statement (a `;` before the last non-blank character). */
function isMultiStatement(sql: string): boolean {
  const body = sql.trim().replace(/;+\s*$/, '');
  return body.includes(';');
}

/**
 * Runs pg-boss's SQL on our own data layer instead of a second pool: the `pg` pool on PostgreSQL,
 * the single embedded connection on PGlite. Every call checks out a connection through
 * `database.withConnection`, so on PGlite a pg-boss statement waits its turn and never slips into
 * an application transaction that happens to be open on the one connection.
 *
 * pg-boss sends two kinds of SQL: parameterised single statements (extended protocol) and
 * parameterless multi-statement scripts (`BEGIN; ...; COMMIT;` for schema creation and
 * maintenance). PGlite's `query()` runs exactly one statement, so scripts go to `exec()`; pg-boss
 * reads no rows from them. A failed script may leave the connection inside an aborted transaction,
 * so it is rolled back before the connection is handed to anyone else.
 */
export function createPgBossDb(database: Pick<Database, 'withConnection'>): PgBossDb {
  return {
    executeSql(text, values) {
      return database.withConnection(async (conn) => {
        try {
          if ((values === undefined || values.length === 0) && isMultiStatement(text)) {
            await conn.exec(text);
            return { rows: [] };
          }
          const result = await conn.query(text, values ?? []);
          return { rows: result.rows };
        } catch (error) {
          await conn.query('rollback').catch(() => undefined);
          throw error;
        }
      });
    },
  };
}
