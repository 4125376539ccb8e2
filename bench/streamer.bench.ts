/**
 * Data Streamer ingest benchmark (figures, not a timed test): POSTs batches of 3,000 Platform-1
 * usage records through the real route (`app.inject`: auth, JSON parsing, whole-batch validation,
 * one transaction per batch) into PostgreSQL, and reports records stored per second (target
 * >= 20,000/s). Runs in a scratch schema (dropped afterwards) of BENCH_DATABASE_URL or
 * TEST_DATABASE_URL, else of the local PostgreSQL; on PGlite when BENCH_BACKEND=pglite or when no
 * PostgreSQL answers (printed either way: see `benchBackend`).
 */
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/logger.js';
import { BENCH_ENV, benchBackend, createSchema, dropSchema, scratchSchemaName } from './helpers.js';

/** A 100,000-SIM fleet (as in the sync benchmark): a 3,000-record batch then touches ~3,000 distinct SIMs, as a real stream does. */
const SIMS = 100_000;
const BATCH = 3_000;
const BATCHES = 30;
const TARGET_PER_SECOND = 20_000;
/** Parallel POSTs in the concurrent run: 1NCE streams usage and events separately, and several streams may share a URL. */
const CONCURRENCY = 4;

/**
 * The SIM of the n-th record: every SIM once per SIMS records, in a scattered order (7919 is prime,
 * so this is a permutation). A real batch holds records of whichever devices were active, not SIMs in
 * the order they were imported; consecutive ids would pack a batch's updates onto few heap pages.
 */
const simOfRecord = (n: number) => (n * 7919) % SIMS;

function iccidOf(i: number): string {
  return `8988280666${String(i).padStart(9, '0')}`;
}

function usageRecord(id: number, simIndex: number, at: Date) {
  const start = new Date(at.getTime() - 15 * 60_000).toISOString();
  return {
    id,
    imsi: `90140510${String(simIndex).padStart(7, '0')}`,
    imsi_id: simIndex,
    organisation: { name: '8100xxxx', id: 1234 },
    start_timestamp: start.replace(/\.\d{3}Z$/, 'Z'),
    end_timestamp: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    sim: { msisdn: `88228510${String(simIndex).padStart(7, '0')}`, iccid: iccidOf(simIndex), id: simIndex, production_date: '2018-04-17T15:01:50Z' },
    currency: { id: 1, symbol: '€', code: 'EUR' },
    operator: { id: 2, name: 'T-Mobile', mnc: '01', country: { id: 74, mcc: '262', name: 'Germany' } },
    tariff: { id: 398, name: '1NCE Production 01', ratezone: { id: 2067, name: 'Rate Zone 2 (EU - DE)' } },
    traffic_type: { id: 5, description: 'Data' },
    endpoint: { id: simIndex, name: `device-${simIndex}`, ip_address: '10.0.0.1', imei: null, tags: null, balance: null },
    cost: 0.012345,
    volume: { total: 0.012345, tx: 0.004115, rx: 0.00823 },
  };
}

/** Runs the ingest benchmark and returns its figures. */
export async function runStreamerBench(): Promise<Record<string, unknown>> {
  const { url } = await benchBackend('streamer');
  const schema = scratchSchemaName();
  if (url !== undefined) await createSchema(url, schema);
  const env = {
    ...BENCH_ENV,
    ONCE_API_URL: 'http://127.0.0.1:9/management-api',
    STREAMER_USERNAME: 'bench',
    STREAMER_PASSWORD: 'bench-streamer-password',
    API_RATE_LIMIT_RPS: '100000',
  };
  const config = loadConfig(env);
  const database = await createDb({ databaseUrl: url, dataDir: '', poolMax: 10, ...(url !== undefined && { searchPath: schema }), ...(url === undefined && { pglite: await (await import('../src/db/pglite-pool.js')).openPglite(undefined) }) });
  try {
    await migrate(database);
    const deps = await createDeps(config, createLogger(config), { database });
    const app = await buildApp(deps);
    await app.ready();
    try {
      const account = await deps.accounts.ensureDefaultAccount({ apiUrl: env.ONCE_API_URL, clientId: 'bench', clientSecret: 'bench-secret' });
      for (let i = 0; i < SIMS; i += 5_000) {
        const rows = Array.from({ length: Math.min(5_000, SIMS - i) }, (_, k) => ({ account_id: account.id, iccid: iccidOf(i + k), data_total_bytes: 1_073_741_824, data_remaining_bytes: 1_073_741_824 }));
        await deps.database.db.insertInto('sims').values(rows).execute();
      }
      // A fleet that has been synced for a while, not rows written a second ago: hint bits set,
      // visibility map and statistics current (as autovacuum leaves a live table).
      await sql`vacuum analyze sims`.execute(deps.database.db);
      // Payloads are built before timing: the figure is ingest, not fixture generation.
      const base = Date.now() - 4 * 86_400_000;
      const payloads = Array.from({ length: BATCHES }, (_, b) =>
        JSON.stringify(Array.from({ length: BATCH }, (_, k) => usageRecord(1_000_000 + b * BATCH + k, simOfRecord(b * BATCH + k), new Date(base + (b * BATCH + k) * 1000)))),
      );
      const headers = { authorization: `Basic ${Buffer.from('bench:bench-streamer-password').toString('base64')}`, 'content-type': 'application/json' };
      const post = async (payload: string) => {
        const response = await app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers, payload });
        if (response.statusCode !== 200) throw new Error(`ingest answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
        return response.json<{ stored: number; duplicates: number }>();
      };

      await post(payloads[0]!); // warm-up (JIT, plans); not timed
      let stored = 0;
      const started = performance.now();
      for (const payload of payloads.slice(1)) stored += (await post(payload)).stored;
      const seconds = (performance.now() - started) / 1000;

      const dupStarted = performance.now();
      const dup = await post(payloads[1]!);
      const dupSeconds = (performance.now() - dupStarted) / 1000;

      // The same volume again with CONCURRENCY POSTs in flight (fresh ids).
      const offset = BATCHES * BATCH;
      const concurrentPayloads = Array.from({ length: BATCHES }, (_, b) =>
        JSON.stringify(Array.from({ length: BATCH }, (_, k) => usageRecord(1_000_000 + offset + b * BATCH + k, simOfRecord(b * BATCH + k), new Date(base + (offset + b * BATCH + k) * 1000)))),
      );
      // CONCURRENCY senders, each posting its next batch as soon as the previous one is answered.
      let concurrentStored = 0;
      let next = 0;
      const concurrentStarted = performance.now();
      const sender = async () => {
        while (next < concurrentPayloads.length) {
          const payload = concurrentPayloads[next++]!;
          const { stored: fresh } = await post(payload); // awaited first: `x += await f()` would read x before the await
          concurrentStored += fresh;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, sender));
      const concurrentSeconds = (performance.now() - concurrentStarted) / 1000;

      const perSecond = stored / seconds;
      const concurrentPerSecond = concurrentStored / concurrentSeconds;
      return {
        backend: deps.database.kind,
        sims: SIMS,
        batch_size: BATCH,
        batches_timed: BATCHES - 1,
        records_stored: stored,
        seconds,
        records_per_second: perSecond,
        target_records_per_second: TARGET_PER_SECOND,
        ms_per_batch: (seconds * 1000) / (BATCHES - 1),
        concurrent: { posts_in_flight: CONCURRENCY, records_stored: concurrentStored, seconds: concurrentSeconds, records_per_second: concurrentPerSecond },
        meets_target: Math.max(perSecond, concurrentPerSecond) >= TARGET_PER_SECOND,
        duplicate_batch: { duplicates: dup.duplicates, records_per_second: BATCH / dupSeconds },
      };
    } finally {
      await app.close();
      await deps.close();
    }
  } finally {
    await database.close();
    if (url !== undefined) await dropSchema(url, schema);
  }
}
