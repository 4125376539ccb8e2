/**
 * Where a Data Streamer batch spends its time (docs/adr/0017): `npx tsx bench/streamer.profile.ts`.
 * Times each step of ingest on its own - JSON parse, the edge's hostile-input walk, record
 * validation, every SQL statement (client-side round trip) - over BENCH_PROFILE_BATCHES batches of
 * 3,000 usage records (plus one mixed batch of usage and events), then prints the server's
 * EXPLAIN ANALYZE of each statement of one more batch (auto_explain, nested statements and trigger
 * times included). The local PostgreSQL, BENCH_DATABASE_URL, or PGlite with BENCH_BACKEND=pglite
 * (in memory; no EXPLAIN part there).
 */
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import secureJson from 'secure-json-parse';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { createPglitePool, openPglite } from '../src/db/pglite-pool.js';
import type { DB } from '../src/db/schema.js';
import { migrate } from '../src/db/migrate.js';
import { createDeps } from '../src/deps.js';
import { hostileInputErrors } from '../src/http/validation.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { parseStreamBatch } from '../src/modules/streamer/streamer.parse.js';
import { createStreamerService } from '../src/modules/streamer/streamer.service.js';
import { BENCH_ENV, benchBackend, createSchema, dropSchema, scratchSchemaName } from './helpers.js';
import { BATCH, eventRecord, seedFleet, simOfRecord, usageBatches, usageRecord } from './streamer.fixture.js';

const BATCHES = Number(process.env.BENCH_PROFILE_BATCHES ?? 10);
const API_URL = 'http://127.0.0.1:9/management-api';

/** A plan as printed: lines cut at 200 characters (array constants run to 60 KB). */
const shorten = (plan: string) => plan.split('\n').map((line) => (line.length > 200 ? `${line.slice(0, 200)}...` : line)).join('\n');

/** Statement label: its first words, enough to tell the statements of one batch apart. */
const labelOf = (sqlText: string) => sqlText.replace(/\s+/g, ' ').trim().slice(0, 48);

async function main(): Promise<void> {
  const backend = await benchBackend('streamer-profile');
  const url = backend.url;
  const schema = scratchSchemaName();
  if (url !== undefined) await createSchema(url, schema);
  const config = loadConfig({ ...BENCH_ENV, ONCE_API_URL: API_URL });
  const pglite = url === undefined ? await openPglite(undefined) : undefined;
  const database = await createDb({ databaseUrl: url, dataDir: '', poolMax: 4, ...(url !== undefined && { searchPath: schema }), ...(pglite !== undefined && { pglite }) });
  const pgPool = url === undefined ? undefined : new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
  const pool = pgPool ?? (createPglitePool(pglite!, false) as unknown as pg.Pool);
  const notices: string[] = [];
  pgPool?.on('connect', (client) => client.on('notice', (n) => notices.push(n.message ?? '')));
  try {
    await migrate(database);
    const deps = await createDeps(config, createLogger(config), { database });
    try {
      await seedFleet(deps, API_URL);
      const timings = new Map<string, number[]>();
      const add = (label: string, ms: number) => timings.set(label, [...(timings.get(label) ?? []), ms]);
      let recording = false;
      const db = new Kysely<DB>({
        dialect: new PostgresDialect({ pool }),
        log: (event: LogEvent) => {
          if (recording) add(`sql: ${labelOf(event.query.sql)}`, event.queryDurationMillis);
        },
      });
      const streamer = createStreamerService({ db, logger: createLogger(config), metrics: createMetrics().background.streamer, notify: async () => undefined });

      const base = Date.now() - 4 * 86_400_000;
      const payloads = usageBatches(BATCHES + 2, 1_000_000, base);
      const step = async <T>(label: string, fn: () => T | Promise<T>): Promise<T> => {
        const started = performance.now();
        const value = await fn();
        if (recording) add(label, performance.now() - started);
        return value;
      };
      const ingestOne = async (text: string) => {
        const body = await step('parse: JSON (secure-json-parse)', () => secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }) as unknown);
        await step('validate: hostile-input walk (edge)', () => hostileInputErrors(body, undefined));
        await step('validate: records (parseStreamBatch)', () => parseStreamBatch(body));
        return step('ingest: whole (parse + SQL + commit)', () => streamer.ingest(body, '127.0.0.1', text));
      };

      await ingestOne(payloads[0]!); // warm-up: JIT, plans
      recording = true;
      for (const text of payloads.slice(1, BATCHES + 1)) await ingestOne(text);
      recording = false;

      const report = (title: string) => {
        process.stdout.write(`\n${title}\n${'step'.padEnd(60)} ${'mean ms'.padStart(8)} ${'min'.padStart(7)} ${'max'.padStart(7)}  n\n`);
        for (const [label, values] of timings) {
          const mean = values.reduce((a, b) => a + b, 0) / values.length;
          process.stdout.write(`${label.padEnd(60)} ${mean.toFixed(1).padStart(8)} ${Math.min(...values).toFixed(1).padStart(7)} ${Math.max(...values).toFixed(1).padStart(7)}  ${values.length}\n`);
        }
        timings.clear();
      };
      report(`usage batches: ${BATCH} records, ${BATCHES} batches`);

      // A mixed batch: 2,000 usage records and 1,000 connectivity events.
      const mixedBase = base + (BATCHES + 2) * BATCH * 1000;
      const mixed = (first: number) =>
        JSON.stringify(
          Array.from({ length: BATCH }, (_, k) =>
            k % 3 === 2 ? eventRecord(first + k, simOfRecord(first + k), new Date(mixedBase + k * 1000)) : usageRecord(first + k, simOfRecord(first + k), new Date(mixedBase + k * 1000)),
          ),
        );
      recording = true;
      for (let b = 0; b < Math.max(3, Math.floor(BATCHES / 3)); b += 1) await ingestOne(mixed(5_000_000 + b * BATCH));
      recording = false;
      report('mixed batches: 2,000 usage records + 1,000 PDP events');

      if (pgPool === undefined) return;
      // EXPLAIN ANALYZE of every statement of one more batch, by the server (auto_explain), triggers included.
      const client = await pool.connect();
      try {
        await client.query(`load 'auto_explain'`);
        await client.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_buffers = on;
          set auto_explain.log_wal = on; set auto_explain.log_nested_statements = on; set auto_explain.log_triggers = on;
          set auto_explain.log_timing = on; set client_min_messages = log`);
      } finally {
        client.release();
      }
      notices.length = 0;
      await ingestOne(payloads[BATCHES + 1]!);
      process.stdout.write(`\nauto_explain of one usage batch (${notices.length} statements)\n`);
      for (const n of notices) process.stdout.write(`${shorten(n)}\n---\n`);
      notices.length = 0;
      await ingestOne(mixed(6_000_000));
      process.stdout.write(`\nauto_explain of one mixed batch (${notices.length} statements)\n`);
      for (const n of notices) process.stdout.write(`${shorten(n)}\n---\n`);
    } finally {
      await deps.close();
    }
  } finally {
    await pgPool?.end().catch(() => undefined);
    await database.close();
    if (url !== undefined) await dropSchema(url, schema);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
