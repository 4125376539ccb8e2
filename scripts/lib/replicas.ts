import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/**
 * Starts N real platform processes at the same moment on one fresh PostgreSQL database, the way a
 * Kubernetes Deployment with N replicas does, and reports which became ready. Shared by the
 * start-up race test (test/e2e/replicas.e2e.test.ts) and the stress script (scripts/stress-start.ts).
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Replica {
  index: number;
  child: ChildProcess;
  /** Every output line (stdout and stderr), in arrival order. */
  lines: string[];
  /** Resolves with the base URL once the process logs "simfleet is ready"; rejects if it exits first. */
  ready: Promise<string>;
}

export interface Round {
  databaseUrl: string;
  databaseName: string;
  replicas: Replica[];
  /** Settles every replica's readiness: the URL, or the error that stopped it. */
  settle(): Promise<Array<{ index: number; url?: string; error?: string }>>;
  /** SIGTERM every replica (SIGKILL after 10 s), then drop the database and the shared data directory. */
  cleanup(): Promise<void>;
}

export interface RoundOptions {
  /** A PostgreSQL URL whose user may CREATE DATABASE; the round's database is created beside it. */
  adminUrl: string;
  replicas: number;
  /** Extra environment for every replica (e.g. ONCE_API_URL and credentials). */
  env?: Record<string, string>;
  /** Run the built output (`dist/src/main.js`) instead of the sources through tsx. */
  built?: boolean;
  readyTimeoutMs?: number;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function startReplica(index: number, env: Record<string, string>, built: boolean, timeoutMs: number): Replica {
  const args = built ? [path.join(ROOT, 'dist/src/main.js')] : ['--import', 'tsx', path.join(ROOT, 'src/main.ts')];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${index} not ready after ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        lines.push(line);
        if (line.includes('"simfleet is ready"')) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`replica ${index} exited (${code ?? signal}) before it was ready:\n${lines.slice(-5).join('\n')}`));
    });
  });
  ready.catch(() => undefined);
  return { index, child, lines, ready };
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Creates a randomly named database and starts `replicas` processes on it at once. */
export async function startRound(options: RoundOptions): Promise<Round> {
  const databaseName = `simfleet_race_${randomBytes(5).toString('hex')}`;
  await admin(options.adminUrl, (c) => c.query(`create database ${databaseName}`));
  const databaseUrl = withDatabase(options.adminUrl, databaseName);
  // One data directory for all, as processes on one host share ./data: the demo secret is created once.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-replicas-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATABASE_URL: databaseUrl,
    ROLE: 'all',
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATOR_PORT: '0',
    SIMULATOR_FLEET_SIZE: '200',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  const replicas = Array.from({ length: options.replicas }, (_, i) => startReplica(i, env, options.built ?? false, timeoutMs));
  return {
    databaseUrl,
    databaseName,
    replicas,
    settle: () =>
      Promise.all(
        replicas.map((r) =>
          r.ready.then(
            (url) => ({ index: r.index, url }),
            (error: unknown) => ({ index: r.index, error: error instanceof Error ? error.message : String(error) }),
          ),
        ),
      ),
    async cleanup() {
      await Promise.all(replicas.map((r) => stopProcess(r.child)));
      await admin(options.adminUrl, (c) => c.query(`drop database if exists ${databaseName} with (force)`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
