/** What the PostgreSQL benchmarks share: where the database is, scratch schemas, a base environment. */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The repository root (benchmarks start child processes from it). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The arguments `npm start` gives node (package.json `scripts.start`, e.g. the heap cap and
 * `dist/src/main.js`), so a benchmark runs the platform process exactly as an install does.
 */
export function startCommandArgs(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = pkg.scripts.start.trim().split(/\s+/);
  if (command !== 'node' || !args.includes('dist/src/main.js')) throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return args;
}

/** A port free right now on 127.0.0.1 (for a child process that only logs the port it bound). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (Linux); undefined once it has gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** BENCH_DATABASE_URL, else TEST_DATABASE_URL (undefined when neither is set). */
export function configuredDatabaseUrl(): string | undefined {
  return process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
}

/** The local PostgreSQL the development machine and CI run. */
export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The configured database, else the local one the development machine and CI run. */
export function benchDatabaseUrl(): string {
  return configuredDatabaseUrl() ?? LOCAL_DATABASE_URL;
}

/** Where a benchmark runs: PostgreSQL (with its URL) or embedded PGlite, and why. */
export type BenchBackend = { kind: 'postgres'; url: string; label: string } | { kind: 'pglite'; url: undefined; label: string };

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Hides the password of a database URL for printing. */
const redacted = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

/**
 * The backend of a benchmark, printed: BENCH_BACKEND=pglite asks for PGlite; BENCH_DATABASE_URL
 * (or TEST_DATABASE_URL) names a PostgreSQL that must answer; otherwise the local PostgreSQL when
 * it answers, and PGlite (said loudly) when it does not.
 */
export async function benchBackend(bench: string): Promise<BenchBackend> {
  let backend: BenchBackend;
  const configured = configuredDatabaseUrl();
  if (process.env.BENCH_BACKEND === 'pglite') {
    backend = { kind: 'pglite', url: undefined, label: 'PGlite (BENCH_BACKEND=pglite)' };
  } else if (configured !== undefined) {
    if (!(await answers(configured))) throw new Error(`${bench}: the configured database ${redacted(configured)} does not answer`);
    backend = { kind: 'postgres', url: configured, label: `PostgreSQL ${redacted(configured)}` };
  } else if (await answers(LOCAL_DATABASE_URL)) {
    backend = { kind: 'postgres', url: LOCAL_DATABASE_URL, label: `PostgreSQL ${LOCAL_DATABASE_URL} (local default)` };
  } else {
    backend = { kind: 'pglite', url: undefined, label: `PGlite: NO PostgreSQL answered at ${LOCAL_DATABASE_URL}; set BENCH_DATABASE_URL to measure PostgreSQL` };
  }
  process.stdout.write(`${bench}: backend ${backend.label}\n`);
  return backend;
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
