import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../helpers/db.js';

/**
 * The job engine across real processes on one PostgreSQL database: scheduled ticks run exactly once
 * however many workers are up, and a worker killed mid-job loses nothing. PGlite is one process by
 * construction, so these run on PostgreSQL only (TEST_DATABASE_URL); engine.test.ts covers PGlite.
 */
const targets: Array<'postgres'> = databaseUrl === undefined ? [] : ['postgres'];
const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'engine-worker.ts');

interface Worker {
  id: string;
  child: ChildProcess;
  ready: Promise<void>;
}

function startWorker(id: string, schema: string): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, DATABASE_URL: databaseUrl, SEARCH_PATH: schema, JOBS_SCHEMA: `${schema}_jobs`, WORKER_ID: id },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker ${id} exited (${code}) before it was ready: ${stderr}`)));
  });
  return { id, child, ready };
}

async function stopWorker(w: Worker): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
  w.child.kill('SIGTERM');
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(200);
  }
}

describe.each(targets)('job engine across processes (%s)', () => {
  let testDb: TestDatabase | undefined;
  let workers: Worker[] = [];

  afterEach(async () => {
    await Promise.all(workers.map(stopWorker));
    workers = [];
    if (testDb?.schema !== undefined) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop schema if exists ${testDb.schema}_jobs cascade`).finally(() => client.end());
    }
    await testDb?.cleanup();
    testDb = undefined;
  });

  it('runs every scheduled tick exactly once with three workers up', { timeout: 150_000 }, async () => {
    // Start early in a minute so the tick of this minute and of the next are both observed.
    const second = new Date().getUTCSeconds();
    if (second > 35) await sleep((62 - second) * 1000);
    testDb = await createTestDatabase('postgres');
    const schema = testDb.schema!;
    workers = ['w1', 'w2', 'w3'].map((id) => startWorker(id, schema));
    await Promise.all(workers.map((w) => w.ready));

    const firstMinute = Math.floor(Date.now() / 60_000);
    // Wait past the next minute boundary, plus time for the tick to be sent and run.
    await sleep((firstMinute + 1) * 60_000 - Date.now() + 12_000);

    const runs = await testDb.database.db.selectFrom('job_runs').selectAll().where('job_name', '=', 'tick').orderBy('started_at').execute();
    const perMinute = new Map<number, number>();
    for (const r of runs) {
      expect(r.outcome).toBe('success');
      const minute = Math.floor(new Date(r.started_at).getTime() / 60_000);
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    }
    expect([...perMinute.keys()]).toEqual([firstMinute, firstMinute + 1]);
    expect([...perMinute.values()]).toEqual([1, 1]);
    expect(runs.every((r) => ['w1', 'w2', 'w3'].includes(r.worker_id ?? ''))).toBe(true);
  });

  it('retries a job whose worker was killed mid-run in another process, with no duplicate rows', { timeout: 90_000 }, async () => {
    testDb = await createTestDatabase('postgres');
    const schema = testDb.schema!;
    const db = testDb.database.db;
    await sql`create table probe_items (job_key text not null, i integer not null, worker text not null, primary key (job_key, i))`.execute(db);
    workers = ['a', 'b'].map((id) => startWorker(id, schema));
    await Promise.all(workers.map((w) => w.ready));

    // Queue through the engine's own tables from this process (a third, send-only party).
    const { createJobEngine } = await import('../../src/jobs/engine.js');
    const { createBackgroundMetrics } = await import('../../src/metrics/background.js');
    const { Registry } = await import('prom-client');
    const { pino } = await import('pino');
    const sender = createJobEngine({ database: testDb.database, logger: pino({ level: 'silent' }), metrics: createBackgroundMetrics(new Registry()).jobs, role: 'api', schema: `${schema}_jobs` });
    sender.register({ name: 'slow-upsert', expireInSeconds: 6, retryLimit: 3, retryDelaySeconds: 1, handler: async () => undefined });
    sender.register({ name: 'tick', handler: async () => undefined });
    await sender.start();
    await sender.send('slow-upsert', { key: 'k1' });

    // Kill whichever worker took the job once it is part-way through.
    const first = await until(async () => {
      const rows = await db.selectFrom('job_runs').select(['worker_id']).where('job_name', '=', 'slow-upsert').execute();
      const done = Number((await sql<{ n: string }>`select count(*)::text as n from probe_items`.execute(db)).rows[0]!.n);
      return rows.length === 1 && done >= 4 ? rows[0]!.worker_id! : undefined;
    }, 20_000);
    const victim = workers.find((w) => w.id === first)!;
    victim.child.kill('SIGKILL');
    const partial = Number((await sql<{ n: string }>`select count(*)::text as n from probe_items`.execute(db)).rows[0]!.n);
    expect(partial).toBeLessThan(20);

    const runs = await until(async () => {
      const rows = await db.selectFrom('job_runs').selectAll().where('job_name', '=', 'slow-upsert').orderBy('id').execute();
      return rows.some((r) => r.outcome === 'success') ? rows : undefined;
    }, 45_000);
    await sender.stop();

    const survivor = workers.find((w) => w.id !== first)!;
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ worker_id: first, attempt: 1, outcome: 'failure' });
    expect(runs[0]!.error).toMatch(/abandoned/);
    expect(runs[1]).toMatchObject({ worker_id: survivor.id, attempt: 2, outcome: 'success', items: 20 });
    const items = await sql<{ i: number; worker: string }>`select i, worker from probe_items order by i`.execute(db);
    expect(items.rows.map((r) => r.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(items.rows.map((r) => r.worker))).toEqual(new Set([first, survivor.id]));
  });
});

describe('multi-process engine tests', () => {
  it('run on PostgreSQL only when TEST_DATABASE_URL is set', () => {
    expect(targets).toEqual(databaseUrl === undefined ? [] : ['postgres']);
  });
});
