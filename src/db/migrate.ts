import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Database } from './client.js';
import type { PoolClientLike } from './pglite-pool.js';

/** Forward-only numbered SQL migrations: `NNNN_name.sql`, applied in order, each in its own transaction. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_-]+)\.sql$/;

/** Reads the migration files in version order; duplicate versions are a packaging error. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => ({ file, match: FILE_PATTERN.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ file, match }) => {
      const sql = readFileSync(path.join(dir, file), 'utf8');
      return {
        version: match[1]!,
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version.localeCompare(b.version));
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new Error(`two migrations share version ${migrations[i]!.version}`);
    }
  }
  return migrations;
}

async function applyAll(conn: PoolClientLike, migrations: Migration[]): Promise<MigrationResult> {
  await conn.exec(`create table if not exists schema_migrations (
    version text primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
  )`);
  const { rows } = await conn.query('select version, name, checksum from schema_migrations order by version');
  const applied = new Map((rows as Array<{ version: string; name: string; checksum: string }>).map((r) => [r.version, r]));

  for (const migration of migrations) {
    const previous = applied.get(migration.version);
    if (previous !== undefined && previous.checksum !== migration.checksum) {
      // Forward-only: an applied migration that changed means two databases with the same version differ.
      throw new Error(
        `migration ${migration.version}_${migration.name} was edited after it was applied; add a new migration instead`,
      );
    }
  }

  const done: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    await conn.exec('begin');
    try {
      // Extensions are database-wide: installs in other schemas of the same database may create the
      // same one at the same moment (the per-schema lock below does not order them), so take turns.
      if (/create\s+extension/i.test(migration.sql)) await conn.query("select pg_advisory_xact_lock(hashtext('simfleet.extensions'))");
      await conn.exec(migration.sql);
      await conn.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      await conn.exec('commit');
    } catch (error) {
      await conn.exec('rollback');
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`migration ${migration.version}_${migration.name} failed: ${reason}`, { cause: error });
    }
    done.push(`${migration.version}_${migration.name}`);
  }
  return { applied: done, alreadyApplied: migrations.length - done.length };
}

/**
 * Applies pending migrations under a session advisory lock, so replicas starting together
 * never race: the first applies, the others wait and then find nothing left to do.
 * The lock key includes the current schema so isolated test schemas do not serialise each other.
 */
export async function migrate(database: Database, migrations = readMigrations()): Promise<MigrationResult> {
  return database.withConnection(async (conn) => {
    await conn.query("select pg_advisory_lock(hashtext('simfleet.migrate:' || current_schema()))");
    try {
      return await applyAll(conn, migrations);
    } finally {
      await conn.query("select pg_advisory_unlock(hashtext('simfleet.migrate:' || current_schema()))");
    }
  });
}
