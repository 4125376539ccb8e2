/**
 * Fleet API benchmark (issue 5): 100,000 SIMs with 90 days of daily usage each, seeded with
 * generate_series into a fresh schema of PostgreSQL (TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test). autocannon drives the authenticated API (API key,
 * policy, audit hooks, cache, serialisation) and, as the baseline, a bare Fastify app running the
 * same repository SQL with no auth, hooks, cache or response schema, on the same database.
 * Targets: >= 70 % of the baseline's throughput; p99 < 50 ms for one SIM and the usage summary.
 *
 * autocannon runs in a worker thread, so the load generator's CPU is not charged to whichever
 * server is under test (both sides are measured the same way). BENCH_SCHEMA=<name> keeps the
 * seeded schema and reuses it on the next run (seeding is skipped when it already holds SIMs).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Fastify from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { parseSimFilter, DEFAULT_SORT } from '../src/modules/sims/sims.filter.js';
import { createSimsRepo } from '../src/modules/sims/sims.repo.js';
import { createUsageRepo } from '../src/modules/usage/usage.repo.js';
import { setDefaultHashCost, TEST_HASH_COST } from '../src/modules/users/password.js';
import { BENCH_ENV, benchDatabaseUrl, createSchema, dropSchema, scratchSchemaName } from './helpers.js';

const require = createRequire(import.meta.url);

/** BENCH_SIMS shrinks the fleet for a quick trial run. */
const SIMS = Number(process.env.BENCH_SIMS ?? 100_000);
const DAYS = 90;
const DURATION_SECONDS = 10;
const CONNECTIONS = 10;
const SAMPLE_ICCIDS = 2_000;
const DATABASE_URL = benchDatabaseUrl();
/** A named schema is kept after the run and reused (not reseeded) by the next one. */
const KEPT_SCHEMA = process.env.BENCH_SCHEMA;

const iccidOf = (n: number) => `8988280666${String(n).padStart(9, '0')}`;

async function seed(schema: string, accountId: string): Promise<{ seedSeconds: number }> {
  const client = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
  await client.connect();
  const started = performance.now();
  try {
    await client.query(
      `insert into sims (account_id, iccid, imsi, msisdn, status, label, tags, activation_date, connectivity_status, last_seen_at,
         data_total_bytes, data_remaining_bytes, sms_total, sms_remaining, quota_status_id, current_quota_mb, last_synced_at, source)
       select $1::uuid, '8988280666' || lpad(g::text, 9, '0'), '901405' || lpad(g::text, 9, '0'), '882285' || lpad(g::text, 9, '0'),
         case when g % 10 = 0 then 'Disabled' else 'Enabled' end, 'Device-' || g,
         case when g % 7 = 0 then array['north'] else array['south', 'meters'] end,
         now() - (g % 1000) * interval '1 day', (array['ONLINE','ATTACHED','OFFLINE'])[1 + g % 3], now() - (g % 500) * interval '1 minute',
         524288000, (g::bigint * 7919) % 524288000, 250, g % 250, case when g % 5 = 0 then 1 else 0 end, 500, now(), 'provider'
       from generate_series(1, ${SIMS}) g`,
      [accountId],
    );
    await client.query(
      `insert into sim_usage (sim_id, day, data_rx_bytes, data_tx_bytes, data_total_bytes, sms_mo, sms_mt, source)
       select s.id, current_date - i, ((s.id * 31 + i * 17) % 1000) * 1000, ((s.id * 13 + i * 7) % 500) * 1000,
         ((s.id * 31 + i * 17) % 1000) * 1000 + ((s.id * 13 + i * 7) % 500) * 1000, (s.id + i) % 3, (s.id * i) % 2, 'poll'
       from sims s cross join generate_series(0, ${DAYS - 1}) i`,
    );
    // Statistics for the planner and a fresh visibility map, so index-only scans work as in a steady state.
    await client.query('vacuum analyze');
  } finally {
    await client.end();
  }
  return { seedSeconds: (performance.now() - started) / 1000 };
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * The load generator, as plain JavaScript for a worker thread: it cycles through the given paths
 * (one per request) and posts autocannon's result back.
 */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const autocannon = require(workerData.autocannonPath);
const { url, headers, paths, connections, duration } = workerData;
let cursor = 0;
const opts = { url, connections, duration, headers };
autocannon({
  ...opts,
  requests: [{ setupRequest: (request) => ({ ...request, path: paths[cursor++ % paths.length] }) }],
}).then((raw) => {
  // Inside a worker autocannon returns raw histograms (and no per-second samples): aggregate the
  // latencies, and take throughput as completed requests over the measured duration.
  const result = autocannon.aggregateResult([raw], opts);
  parentPort.postMessage({
  fleetBenchResult: {
    rps: raw.totalCompletedRequests / raw.duration, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx,
  },
  });
}, (error) => { throw error; });
`;

async function load(url: string, headers: Record<string, string>, paths: string[]): Promise<Load> {
  const worker = new Worker(LOAD_WORKER, {
    eval: true,
    workerData: { autocannonPath: require.resolve('autocannon'), url, headers, paths, connections: CONNECTIONS, duration: DURATION_SECONDS },
  });
  // autocannon posts its own progress messages from a worker; ours is the tagged one.
  const result = await new Promise<Load>((resolve, reject) => {
    worker.on('message', (message: { fleetBenchResult?: Load }) => {
      if (message.fleetBenchResult !== undefined) resolve(message.fleetBenchResult);
    });
    worker.once('error', reject);
  });
  await worker.terminate();
  return result;
}

/** Runs the benchmark and returns its figures. */
export async function runFleetApiBench(): Promise<Record<string, unknown>> {
  setDefaultHashCost(TEST_HASH_COST);
  if (KEPT_SCHEMA !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(KEPT_SCHEMA)) throw new Error('BENCH_SCHEMA must be a plain lower-case identifier');
  const schema = KEPT_SCHEMA ?? scratchSchemaName();
  await createSchema(DATABASE_URL, schema);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-bench-'));
  const config = loadConfig({
    ...BENCH_ENV,
    DATABASE_URL,
    DATA_DIR: dataDir,
    ONCE_API_URL: 'http://127.0.0.1:9/management-api',
    API_RATE_LIMIT_RPS: '100000',
    DATABASE_POOL_MAX: '10',
    ROLE: 'api',
  });
  const metrics = createMetrics();
  const database = await createDb({ databaseUrl: DATABASE_URL, dataDir, poolMax: 10, searchPath: schema, observer: metrics.db });
  await migrate(database);
  const baselineDb = await createDb({ databaseUrl: DATABASE_URL, dataDir, poolMax: 10, searchPath: schema });
  const deps = await createDeps(config, createLogger(config), { database, metrics });
  const baseline = Fastify({ logger: false });
  const app = await buildApp(deps);
  try {
    const account = await deps.accounts.ensureDefaultAccount({ apiUrl: config.provider.apiUrl, clientId: 'bench', clientSecret: 'bench-secret' });
    const probe = new pg.Client({ connectionString: DATABASE_URL });
    await probe.connect();
    const { rows } = await probe.query<{ seeded: boolean }>(`select exists (select 1 from ${schema}.sims) as seeded`).finally(() => probe.end());
    const seeded = rows[0]?.seeded === true ? { seedSeconds: 0 } : await seed(schema, account.id);

    // A fresh user per run, so a kept schema can be reused.
    const user = await deps.identity.users.createUser({ username: `bench_${randomBytes(4).toString('hex')}`, email: null, password: 'violet-Harbor-kettle-42', role: 'viewer' });
    const key = await deps.identity.apiKeys.create({ kind: 'user', userId: user.id, username: user.username, role: 'viewer', userRole: 'viewer' }, { name: 'bench' });
    const apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });

    // The baseline: the same repository calls, nothing else.
    const sims = createSimsRepo(baselineDb.db);
    const usage = createUsageRepo(baselineDb.db);
    baseline.get('/sims', async () => sims.page(parseSimFilter({ status: 'Enabled' }), DEFAULT_SORT, 1, 50));
    baseline.get<{ Params: { iccid: string } }>('/sims/:iccid', async (request) => sims.findByIccid(request.params.iccid));
    baseline.get<{ Params: { iccid: string }; Querystring: { start_date: string; end_date: string } }>('/sims/:iccid/usage/summary', async (request) => {
      const sim = await sims.findByIccid(request.params.iccid);
      return usage.totals(sim!.id, request.query.start_date, request.query.end_date);
    });
    const baseUrl = await baseline.listen({ port: 0, host: '127.0.0.1' });

    const today = new Date().toISOString().slice(0, 10);
    const start = new Date(Date.now() - (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const sample = Array.from({ length: SAMPLE_ICCIDS }, (_, i) => iccidOf(1 + ((i * 7_919) % SIMS)));
    const auth = { 'x-api-key': key.api_key };

    // Both sides walk the same ICCIDs in the same order.
    const scenarios = {
      list_enabled_page: { api: ['/api/v1/sims?page_size=50&status=Enabled'], base: ['/sims'] },
      get_sim: { api: sample.map((iccid) => `/api/v1/sims/${iccid}`), base: sample.map((iccid) => `/sims/${iccid}`) },
      usage_summary_90d: {
        api: sample.map((iccid) => `/api/v1/sims/${iccid}/usage/summary?start_date=${start}&end_date=${today}`),
        base: sample.map((iccid) => `/sims/${iccid}/usage/summary?start_date=${start}&end_date=${today}`),
      },
    };
    const results: Record<string, unknown> = {};
    for (const [name, paths] of Object.entries(scenarios)) {
      const baseRun = await load(baseUrl, {}, paths.base);
      const apiRun = await load(apiUrl, auth, paths.api);
      results[name] = {
        api: apiRun,
        baseline: baseRun,
        throughputOfBaseline: Number((apiRun.rps / baseRun.rps).toFixed(3)),
      };
    }
    const cache = (await metrics.registry.getSingleMetric('simfleet_cache_requests_total')!.get()).values;
    const hitRate = (name: string) => {
      const count = (result: string) => cache.filter((v) => v.labels.cache === name && v.labels.result === result).reduce((a, v) => a + v.value, 0);
      return Number((count('hit') / Math.max(1, count('hit') + count('miss'))).toFixed(3));
    };
    const ratios = Object.values(results).map((r) => (r as { throughputOfBaseline: number }).throughputOfBaseline);
    const p99Of = (name: string) => (results[name] as { api: Load }).api.p99;
    return {
      sims: SIMS,
      usageRows: SIMS * DAYS,
      seedSeconds: Number(seeded.seedSeconds.toFixed(1)),
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      distinctIccids: SAMPLE_ICCIDS,
      ...results,
      cacheHitRate: hitRate('api'),
      authCacheHitRate: hitRate('auth'),
      target: '>= 0.70 of baseline throughput; p99 < 50 ms for get_sim and usage_summary_90d',
      met: ratios.every((r) => r >= 0.7) && p99Of('get_sim') < 50 && p99Of('usage_summary_90d') < 50,
    };
  } finally {
    await app.close();
    await baseline.close();
    await deps.close();
    await baselineDb.close();
    if (KEPT_SCHEMA === undefined) await dropSchema(DATABASE_URL, schema);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
