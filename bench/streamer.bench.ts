/**
 * Data Streamer ingest benchmark (figures, not a timed test): POSTs batches of 3,000 Platform-1
 * usage records through the real route (`app.inject`: auth, JSON parsing, whole-batch validation,
 * one transaction per batch, committed before the answer) and reports records stored per second,
 * one sender and four senders. In the same run, the physical limit it is compared with: the same
 * number of records, already parsed, loaded with COPY into the same `usage_records` table (same
 * indexes, one transaction per batch). Runs in a scratch schema (dropped afterwards) of
 * BENCH_DATABASE_URL or TEST_DATABASE_URL, else of the local PostgreSQL; on PGlite (on disk, as
 * the default install keeps it) when BENCH_BACKEND=pglite or when no PostgreSQL answers - printed
 * either way (see `benchBackend`). BENCH_STREAMER_BATCHES (default 30) shortens a trial run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite-pool.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/logger.js';
import { parseStreamBatch } from '../src/modules/streamer/streamer.parse.js';
import { BENCH_ENV, benchBackend, createSchema, dropSchema, scratchSchemaName } from './helpers.js';
import { BATCH, SIMS, seedFleet, usageBatches } from './streamer.fixture.js';

const BATCHES = Number(process.env.BENCH_STREAMER_BATCHES ?? 30);
/** Parallel POSTs in the concurrent run: 1NCE streams usage and events separately, and several streams may share a URL. */
const CONCURRENCY = 4;
/** Issue 14's targets. */
const TARGETS = { sequential: 20_000, concurrent: 40_000, pglite: 10_000, ofCopy: 0.4 };
const API_URL = 'http://127.0.0.1:9/management-api';

const COPY_COLUMNS = 'record_id, started_at, ended_at, sim_id, iccid, imsi, traffic_type, rx_bytes, tx_bytes, total_bytes, sms_count, operator, country, rat, payload_id, payload_index';

/** COPY text format: tab-separated, `\N` for null (the fixture's values hold no tab, newline or backslash). */
const copyField = (v: string | number | null) => (v === null ? '\\N' : String(v));

/** The rows ingest would store for one payload, as COPY text (parsed and matched to SIMs before timing). */
function copyText(payload: string, simIds: Map<string, number>): string {
  const parsed = parseStreamBatch(JSON.parse(payload));
  if (!parsed.ok) throw new Error('fixture batch does not parse');
  return parsed.batch.usage
    .map((r) =>
      [r.recordId, r.startedAt.toISOString(), r.endedAt?.toISOString() ?? null, r.iccid === null ? null : (simIds.get(r.iccid) ?? null), r.iccid, r.imsi, r.trafficType, r.rxBytes, r.txBytes, r.totalBytes, r.smsCount, r.operator, r.country, r.rat, 0, r.index]
        .map(copyField)
        .join('\t'),
    )
    .join('\n')
    .concat('\n');
}

/** Runs `count` tasks with `concurrency` workers, each taking the next task as soon as it is done. */
async function runWorkers(count: number, concurrency: number, task: (i: number) => Promise<number>): Promise<number> {
  let next = 0;
  let total = 0;
  const worker = async () => {
    while (next < count) {
      const done = await task(next++); // awaited first: `x += await f()` would read x before the await
      total += done;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total;
}

/** COPY into usage_records: one transaction per batch, on its own pg connection or on the embedded database. */
function copyLoader(url: string | undefined, schema: string, pglite: PGlite | undefined) {
  const pool = url === undefined ? undefined : new pg.Pool({ connectionString: url, max: CONCURRENCY, options: `-c search_path=${schema}` });
  return {
    async load(text: string): Promise<void> {
      if (pool === undefined) {
        // PGlite reads COPY input from a Blob ('/dev/blob'); one statement is one transaction.
        await pglite!.query(`copy usage_records (${COPY_COLUMNS}) from '/dev/blob'`, [], { blob: new Blob([text]) });
        return;
      }
      const client = await pool.connect();
      try {
        await client.query('begin');
        await pipeline(Readable.from([text]), client.query(copyFrom(`copy usage_records (${COPY_COLUMNS}) from stdin`)));
        await client.query('commit');
      } finally {
        client.release();
      }
    },
    close: async () => pool?.end(),
  };
}

/** Runs the ingest benchmark and returns its figures. */
export async function runStreamerBench(): Promise<Record<string, unknown>> {
  const backend = await benchBackend('streamer');
  const url = backend.url;
  const schema = scratchSchemaName();
  if (url !== undefined) await createSchema(url, schema);
  const dataDir = url === undefined ? mkdtempSync(path.join(tmpdir(), 'simfleet-streamer-bench-')) : undefined;
  const env = {
    ...BENCH_ENV,
    ONCE_API_URL: API_URL,
    STREAMER_USERNAME: 'bench',
    STREAMER_PASSWORD: 'bench-streamer-password',
    API_RATE_LIMIT_RPS: '100000',
  };
  const config = loadConfig(env);
  const pglite = dataDir === undefined ? undefined : await openPglite(path.join(dataDir, 'pglite'));
  const database = await createDb({ databaseUrl: url, dataDir: dataDir ?? '', poolMax: 10, ...(url !== undefined && { searchPath: schema }), ...(pglite !== undefined && { pglite }) });
  const copy = copyLoader(url, schema, pglite);
  try {
    await migrate(database);
    const deps = await createDeps(config, createLogger(config), { database });
    const app = await buildApp(deps);
    await app.ready();
    try {
      const seedStarted = performance.now();
      await seedFleet(deps, API_URL);
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      // Payloads are built before timing: the figure is ingest, not fixture generation. Record ids
      // and times follow on from one set to the next, as a stream delivers them.
      // Records one second apart, four sets of BATCHES batches: the newest stay in the past (future ones are refused).
      const base = Date.now() - 8 * 86_400_000;
      const sequentialPayloads = usageBatches(BATCHES, 1_000_000, base);
      const concurrentPayloads = usageBatches(BATCHES, 1_000_000 + BATCHES * BATCH, base + BATCHES * BATCH * 1000);
      const sims = await deps.database.db.selectFrom('sims').select(['id', 'iccid']).execute();
      const simIds = new Map(sims.map((s) => [s.iccid, s.id]));
      const copyTexts = usageBatches(BATCHES * 2, 1_000_000 + 2 * BATCHES * BATCH, base + 2 * BATCHES * BATCH * 1000).map((p) => copyText(p, simIds));

      const headers = { authorization: `Basic ${Buffer.from('bench:bench-streamer-password').toString('base64')}`, 'content-type': 'application/json' };
      const post = async (payload: string) => {
        const response = await app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers, payload });
        if (response.statusCode !== 200) throw new Error(`ingest answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
        return response.json<{ stored: number; duplicates: number }>();
      };

      await post(sequentialPayloads[0]!); // warm-up (JIT, plans); not timed
      await copy.load(copyTexts[0]!);
      let stored = 0;
      const started = performance.now();
      for (const payload of sequentialPayloads.slice(1)) stored += (await post(payload)).stored;
      const seconds = (performance.now() - started) / 1000;

      // Physical limit, sequential: the same number of records, COPYed, one batch per transaction.
      const copyStarted = performance.now();
      for (const text of copyTexts.slice(1, BATCHES)) await copy.load(text);
      const copySeconds = (performance.now() - copyStarted) / 1000;
      const copyRecords = (BATCHES - 1) * BATCH;

      // A retransmitted batch: every record a duplicate (the replay path).
      const dupStarted = performance.now();
      const dup = await post(sequentialPayloads[1]!);
      const dupSeconds = (performance.now() - dupStarted) / 1000;

      // CONCURRENCY senders, each posting its next batch as soon as the previous one is answered.
      const concurrentStarted = performance.now();
      const concurrentStored = await runWorkers(concurrentPayloads.length, CONCURRENCY, async (i) => (await post(concurrentPayloads[i]!)).stored);
      const concurrentSeconds = (performance.now() - concurrentStarted) / 1000;

      const copyConcurrentStarted = performance.now();
      await runWorkers(BATCHES, CONCURRENCY, async (i) => {
        await copy.load(copyTexts[BATCHES + i]!);
        return BATCH;
      });
      const copyConcurrentSeconds = (performance.now() - copyConcurrentStarted) / 1000;

      const perSecond = stored / seconds;
      const concurrentPerSecond = concurrentStored / concurrentSeconds;
      const copyPerSecond = copyRecords / copySeconds;
      const copyConcurrentPerSecond = (BATCHES * BATCH) / copyConcurrentSeconds;
      const postgres = backend.kind === 'postgres';
      const ofCopy = perSecond / copyPerSecond;
      const concurrentOfCopy = concurrentPerSecond / copyConcurrentPerSecond;
      return {
        backend: backend.label,
        sims: SIMS,
        seed_seconds: seedSeconds,
        batch_size: BATCH,
        sequential: {
          batches: BATCHES - 1,
          records_stored: stored,
          seconds,
          records_per_second: perSecond,
          ms_per_batch: (seconds * 1000) / (BATCHES - 1),
          target_records_per_second: postgres ? TARGETS.sequential : TARGETS.pglite,
          copy_records_per_second: copyPerSecond,
          of_copy: ofCopy,
        },
        concurrent: {
          posts_in_flight: CONCURRENCY,
          records_stored: concurrentStored,
          seconds: concurrentSeconds,
          records_per_second: concurrentPerSecond,
          ...(postgres && { target_records_per_second: TARGETS.concurrent }),
          copy_records_per_second: copyConcurrentPerSecond,
          of_copy: concurrentOfCopy,
        },
        duplicate_batch: { duplicates: dup.duplicates, records_per_second: BATCH / dupSeconds },
        target_of_copy: TARGETS.ofCopy,
        meets_target: postgres
          ? perSecond >= TARGETS.sequential && concurrentPerSecond >= TARGETS.concurrent && Math.min(ofCopy, concurrentOfCopy) >= TARGETS.ofCopy
          : Math.max(perSecond, concurrentPerSecond) >= TARGETS.pglite && ofCopy >= TARGETS.ofCopy,
      };
    } finally {
      await app.close();
      await deps.close();
    }
  } finally {
    await copy.close();
    await database.close();
    if (url !== undefined) await dropSchema(url, schema);
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}
