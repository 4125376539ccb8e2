/**
 * Fleet API benchmark (issues 5 and 14): 100,000 SIMs seeded with generate_series into a fresh
 * schema of the benchmark database (see `benchBackend`: the local PostgreSQL by default).
 *
 * 1. SIM lists, twice: right after the import (no VACUUM, no ANALYZE by the benchmark: what a user
 *    meets after a first sweep on a server without autovacuum; the platform's own statistics keeper
 *    is running, as in production) and after VACUUM ANALYZE. Every filter, sort, text search and
 *    deep pages (by number and by cursor), each with its p50/p99 and throughput beside a bare
 *    baseline measured in the same run on the same server: GET /health/live (no auth, no database).
 *    Targets: p99 < 50 ms and >= 1,000 req/s with 10 connections.
 * 2. One SIM and its 90-day usage summary (issue 5) against a bare Fastify app running the same
 *    repository SQL. Target: >= 70 % of that baseline's throughput, p99 < 50 ms.
 * On PostgreSQL the platform under load is the built server in a process of its own (`node
 * dist/src/main.js` with the flags of `npm start`, ROLE=api, built first when its sources changed), on the
 * seeded schema: its resident memory is sampled during each load and reported with its value after,
 * and nothing of the benchmark (seeding, baseline app, load generator) is charged to it. On PGlite
 * (one in-process database) the platform runs in this process and its RSS includes the benchmark.
 *
 * BENCH_SIMS shrinks the fleet, BENCH_SECONDS the length of each load (default 5 s), BENCH_USAGE_DAYS the
 * usage history seeded per SIM (default 90: 9,000,000 rows at 100,000 SIMs).
 */
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb, type Database } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite-pool.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { encodeCursor } from '../src/modules/sims/sims.filter.js';
import { createSimsRepo } from '../src/modules/sims/sims.repo.js';
import { createUsageRepo } from '../src/modules/usage/usage.repo.js';
import { setDefaultHashCost, TEST_HASH_COST } from '../src/modules/users/password.js';
import { BENCH_ENV, benchBackend, createSchema, dropSchema, freePort, REPO_ROOT, rssOf, scratchSchemaName, startCommandArgs, stopChild } from './helpers.js';

const require = createRequire(import.meta.url);

/** BENCH_SIMS shrinks the fleet for a quick trial run. */
const SIMS = Number(process.env.BENCH_SIMS ?? 100_000);
/** Days of daily usage per SIM (BENCH_USAGE_DAYS, default 90); fewer seeds faster for a list-only trial. */
const DAYS = Math.max(1, Number(process.env.BENCH_USAGE_DAYS ?? 90));
const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;
const SAMPLE_ICCIDS = 2_000;
/** Distinct URLs per list scenario (pages, search terms), so no answer is served twice in a row. */
const VARIANTS = 200;
const LIST_TARGET = { p99Ms: 50, rps: 1_000 };
/** Resident memory of the platform process during and after the loads (issue 14). */
const RSS_TARGET_MB = 250;

const iccidOf = (n: number) => `8988280666${String(n).padStart(9, '0')}`;

/** Inserts the fleet as a bulk import does: no VACUUM, no ANALYZE. */
export async function seedSims(database: Database, accountId: string, count = SIMS): Promise<number> {
  const started = performance.now();
  await database.withConnection((conn) =>
    conn.exec(
      `insert into sims (account_id, iccid, iccid_with_luhn, imsi, msisdn, imei, status, label, tags, activation_date, connectivity_status, last_seen_at,
         data_total_bytes, data_remaining_bytes, sms_total, sms_remaining, quota_status_id, current_quota_mb, last_synced_at, source)
       select '${accountId}'::uuid, '8988280666' || lpad(g::text, 9, '0'), '8988280666' || lpad(g::text, 9, '0') || (g % 10)::text,
         '901405' || lpad(((g::bigint * 7919) % 1000000000)::text, 9, '0'), '882285' || lpad(((g::bigint * 104729) % 1000000000)::text, 9, '0'),
         '35' || lpad(((g::bigint * 15485863) % 10000000000000)::text, 13, '0'),
         case when g % 10 = 0 then 'Disabled' else 'Enabled' end, 'Device-' || g,
         case when g % 7 = 0 then array['north'] else array['south', 'meters'] end,
         now() - (g % 1000) * interval '1 day', (array['ONLINE','ATTACHED','OFFLINE'])[1 + g % 3], now() - (g % 500) * interval '1 minute',
         524288000, (g::bigint * 7919) % 524288000, 250, g % 250, case when g % 5 = 0 then 1 else 0 end, 500, now(), 'provider'
       from generate_series(1, ${count}) g`,
    ),
  );
  return (performance.now() - started) / 1000;
}

/** `days` days of daily usage for every stored SIM, written directly (seconds taken). */
export async function seedUsage(database: Database, days = DAYS): Promise<number> {
  const started = performance.now();
  await database.withConnection((conn) =>
    conn.exec(
      `insert into sim_usage (sim_id, day, data_rx_bytes, data_tx_bytes, data_total_bytes, sms_mo, sms_mt, source)
       select s.id, current_date - i, ((s.id * 31 + i * 17) % 1000) * 1000, ((s.id * 13 + i * 7) % 500) * 1000,
         ((s.id * 31 + i * 17) % 1000) * 1000 + ((s.id * 13 + i * 7) % 500) * 1000, (s.id + i) % 3, (s.id * i) % 2, 'poll'
       from sims s cross join generate_series(0, ${days - 1}) i`,
    ),
  );
  return (performance.now() - started) / 1000;
}

/** Flushes dirty pages now (superuser or pg_checkpoint on PostgreSQL); skipped where not allowed. */
async function checkpoint(database: Database): Promise<void> {
  await database.withConnection((conn) => conn.exec('checkpoint')).catch(() => undefined);
}

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Requests still unanswered when the load ended (counted apart from errors by autocannon). */
  timeouts: number;
  /** Requests answered: zero means every request outlasted the load, never "met". */
  completed: number;
  non2xx: number;
  /** Resident memory of this process (the platform) during the load: the highest sample, MB. */
  rssPeakMb: number;
}

/**
 * The load generator, as plain CommonJS for a child process (so its CPU and memory are not
 * charged to the platform): it cycles through the given paths, one per request.
 */
const LOAD_SCRIPT = `
const autocannon = require(process.argv[1]);
process.once('message', ({ url, headers, paths, connections, duration }) => {
  let cursor = 0;
  const opts = { url, connections, duration, headers };
  autocannon({
    ...opts,
    requests: [{ setupRequest: (request) => ({ ...request, path: paths[cursor++ % paths.length] }) }],
  }).then((result) => {
    process.send({ rps: result.requests.total / duration, completed: result.requests.total, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }, () => process.exit(0));
  }, (error) => { console.error(error); process.exit(1); });
});
`;

const mb = (bytes: number) => Math.round(bytes / 1_048_576);

/** RSS of the process serving the load: `pid`, else this process. */
const rssNow = (pid?: number) => (pid === undefined ? process.memoryUsage.rss() : (rssOf(pid) ?? 0));

export async function load(url: string, headers: Record<string, string>, paths: string[], servedByPid?: number): Promise<Load> {
  const child = spawn(process.execPath, ['-e', LOAD_SCRIPT, require.resolve('autocannon')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let rssPeak = rssNow(servedByPid);
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssNow(servedByPid))), 200);
  try {
    const result = await new Promise<Omit<Load, 'rssPeakMb'>>((resolve, reject) => {
      child.once('message', (message) => resolve(message as Omit<Load, 'rssPeakMb'>));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`load generator exited with ${code}`))));
      child.send({ url, headers, paths, connections: CONNECTIONS, duration: DURATION_SECONDS });
    });
    return { ...result, rps: Math.round(result.rps), rssPeakMb: mb(rssPeak) };
  } finally {
    clearInterval(sampler);
  }
}

/** A list of `count` values from `make(i)`. */
const variants = <T>(make: (i: number) => T, count = VARIANTS) => Array.from({ length: count }, (_, i) => make(i));
/** Page numbers spread over the first 20 pages. */
const shallowPage = (i: number) => 1 + ((i * 7) % 20);
/** A pseudo-random SIM number (a permutation of the fleet). */
const simNumber = (i: number) => 1 + ((i * 7_919 + 13) % SIMS);

/**
 * The built platform on the benchmark's schema, in a process of its own (built first when its
 * sources changed, as `npm start` does); resolves when it is ready.
 */
async function startPlatformProcess(databaseUrl: string, schema: string, dataDir: string): Promise<{ child: ChildProcess; pid: number; url: string }> {
  const build = spawnSync(process.execPath, ['scripts/build-if-changed.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building the platform failed');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const schemaUrl = `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const child = spawn(process.execPath, startCommandArgs(), {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...BENCH_ENV,
      DATABASE_URL: schemaUrl,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      ROLE: 'api',
      ONCE_API_URL: 'http://127.0.0.1:9/management-api',
      API_RATE_LIMIT_RPS: '100000',
      DATABASE_POOL_MAX: '10',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `the platform exited (${signal ?? `code ${code}`}) before it was ready`));
  const deadline = Date.now() + 120_000;
  try {
    for (;;) {
      if (exited !== undefined) throw new Error(exited);
      if (Date.now() > deadline) throw new Error(`the platform was not ready at ${url} within 120 s`);
      const ready = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
      if (ready) return { child, pid: child.pid ?? -1, url };
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** Runs the benchmark and returns its figures. */
export async function runFleetApiBench(): Promise<Record<string, unknown>> {
  setDefaultHashCost(TEST_HASH_COST);
  const backend = await benchBackend('fleet-api');
  const schema = scratchSchemaName();
  if (backend.url !== undefined) await createSchema(backend.url, schema);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-bench-'));
  const config = loadConfig({
    ...BENCH_ENV,
    ...(backend.url !== undefined && { DATABASE_URL: backend.url }),
    DATA_DIR: dataDir,
    ONCE_API_URL: 'http://127.0.0.1:9/management-api',
    API_RATE_LIMIT_RPS: '100000',
    DATABASE_POOL_MAX: '10',
    ROLE: 'api',
  });
  const metrics = createMetrics();
  const pglite = backend.kind === 'pglite' ? await openPglite(undefined) : undefined;
  const database = await createDb({ databaseUrl: backend.url, dataDir, poolMax: 10, searchPath: schema, observer: metrics.db, ...(pglite && { pglite }) });
  await migrate(database);
  // PGlite is one connection: the baseline app shares the platform's.
  const baselineDb = pglite === undefined ? await createDb({ databaseUrl: backend.url, dataDir, poolMax: 10, searchPath: schema }) : database;
  const deps = await createDeps(config, createLogger(config), { database, metrics });
  const baseline = Fastify({ logger: false });
  const app = await buildApp(deps);
  let platform: Awaited<ReturnType<typeof startPlatformProcess>> | undefined;
  try {
    const account = await deps.accounts.ensureDefaultAccount({ apiUrl: config.provider.apiUrl, clientId: 'bench', clientSecret: 'bench-secret' });
    const seedSimsSeconds = await seedSims(database, account.id);
    // Usage first, so that both list phases meet the same tables; then the checkpoint a server makes
    // after gigabytes of writes, so that no phase measures the flush of the seed's dirty pages.
    const seedUsageSeconds = await seedUsage(database);
    await checkpoint(database);
    const user = await deps.identity.users.createUser({ username: `bench_${randomBytes(4).toString('hex')}`, email: null, password: 'violet-Harbor-kettle-42', role: 'viewer' });
    const key = await deps.identity.apiKeys.create({ kind: 'user', userId: user.id, username: user.username, role: 'viewer', userRole: 'viewer' }, { name: 'bench' });
    // PostgreSQL: the built platform in its own process (its RSS alone); PGlite: this process's app.
    platform = backend.url === undefined ? undefined : await startPlatformProcess(backend.url, schema, dataDir);
    const apiUrl = platform?.url ?? (await app.listen({ port: 0, host: '127.0.0.1' }));
    const platformPid = platform?.pid;
    const rssStartMb = mb(rssNow(platformPid));
    const auth = { 'x-api-key': key.api_key };

    // Deep pages: cursors for positions spread over the second half of the Enabled SIMs (built the
    // way the API builds them: the sort value and ICCID of the row before the page).
    const enabledDeep = variants((i) => Math.floor(SIMS * 0.45) + ((i * 211) % Math.floor(SIMS * 0.4)));
    const deepRows = await database.db
      .selectFrom('sims')
      .select(['iccid'])
      .where('status', '=', 'Enabled')
      .orderBy('iccid')
      .execute();
    const cursors = enabledDeep.map((position) => {
      const row = deepRows[Math.min(position, deepRows.length - 1)]!;
      return encodeCursor({ value: row.iccid, iccid: row.iccid, page: Math.floor(position / 50) + 2 }, { field: 'iccid', direction: 'asc' });
    });
    const deepPageOf = (i: number) => Math.floor(enabledDeep[i]! / 50) + 1;
    const sims = (query: string) => `/api/v1/sims?page_size=50&${query}`;
    const listScenarios: Record<string, string[]> = {
      baseline_health_live: ['/health/live'],
      status: variants((i) => sims(`status=Enabled&page=${shallowPage(i)}`)),
      tag: variants((i) => sims(`tag=north&page=${shallowPage(i)}`)),
      account: variants((i) => sims(`account=${account.id}&page=${shallowPage(i)}`)),
      connectivity: variants((i) => sims(`connectivity=OFFLINE&page=${shallowPage(i)}`)),
      quota_below_sorted: variants((i) => sims(`quota_below=50&sort=-last_seen_at&page=${shallowPage(i)}`)),
      sort_last_seen: variants((i) => sims(`sort=-last_seen_at&page=${shallowPage(i)}`)),
      combined: variants((i) => sims(`status=Enabled&tag=meters&connectivity=ONLINE&quota_below=80&sort=-data_remaining_pct&page=${shallowPage(i)}`)),
      q_iccid_substring: variants((i) => sims(`q=${iccidOf(simNumber(i)).slice(-7)}`)),
      q_6_digits: variants((i) => sims(`q=${String(100_000 + ((i * 7_919) % 900_000))}`)),
      q_label: variants((i) => sims(`q=vice-${simNumber(i)}`)),
      q_short_prefix: variants((i) => sims(`q=${['89', 'de', '90', '88', '35'][i % 5]!}&page=${shallowPage(i)}`)),
      deep_page_offset: variants((i) => sims(`status=Enabled&page=${deepPageOf(i)}`)),
      deep_page_cursor: cursors.map((cursor) => sims(`status=Enabled&cursor=${cursor}`)),
    };

    const statisticsBefore = await database.withConnection(async (conn) => {
      const { rows } = await conn.query(`select count(*)::int as n from pg_stats where schemaname = current_schema() and tablename = 'sims'`);
      return (rows[0] as { n: number }).n;
    });
    const runList = async () => {
      const results: Record<string, unknown> = {};
      let baselineRps = 0;
      for (const [name, paths] of Object.entries(listScenarios)) {
        const run = await load(apiUrl, auth, paths, platformPid);
        if (name === 'baseline_health_live') baselineRps = run.rps;
        results[name] = {
          ...run,
          ofBaseline: baselineRps === 0 ? null : Number((run.rps / baselineRps).toFixed(3)),
          ...(name !== 'baseline_health_live' && { met: run.completed > 0 && run.p99 < LIST_TARGET.p99Ms && run.rps >= LIST_TARGET.rps && run.non2xx === 0 && run.errors === 0 && run.timeouts === 0 }),
        };
      }
      return results;
    };
    const maintenance = () =>
      database.withConnection(async (conn) => {
        const { rows } = await conn.query(`select analyze_count::int as analyzes, vacuum_count::int as vacuums from pg_stat_user_tables where relid = 'sims'::regclass`);
        return rows[0] as { analyzes: number; vacuums: number };
      });
    const fresh = await runList();
    const platformMaintenanceDuringFreshRun = await maintenance();
    const rssAfterFreshMb = mb(rssNow(platformPid));

    const vacuumStarted = performance.now();
    await database.withConnection((conn) => conn.exec('vacuum analyze'));
    const vacuumSeconds = (performance.now() - vacuumStarted) / 1000;
    await checkpoint(database);
    const vacuumed = await runList();

    // One SIM and its usage summary against the same repository SQL on a bare app (issue 5).
    const simsRepo = createSimsRepo(baselineDb.db);
    const usage = createUsageRepo(baselineDb.db);
    baseline.get<{ Params: { iccid: string } }>('/sims/:iccid', async (request) => simsRepo.findByIccid(request.params.iccid));
    baseline.get<{ Params: { iccid: string }; Querystring: { start_date: string; end_date: string } }>('/sims/:iccid/usage/summary', async (request) => {
      const sim = await simsRepo.findByIccid(request.params.iccid);
      return usage.totals(sim!.id, request.query.start_date, request.query.end_date);
    });
    const baseUrl = await baseline.listen({ port: 0, host: '127.0.0.1' });
    const today = new Date().toISOString().slice(0, 10);
    const start = new Date(Date.now() - (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const sample = Array.from({ length: SAMPLE_ICCIDS }, (_, i) => iccidOf(1 + ((i * 7_919) % SIMS)));
    const single = {
      get_sim: { api: sample.map((iccid) => `/api/v1/sims/${iccid}`), base: sample.map((iccid) => `/sims/${iccid}`) },
      usage_summary_90d: {
        api: sample.map((iccid) => `/api/v1/sims/${iccid}/usage/summary?start_date=${start}&end_date=${today}`),
        base: sample.map((iccid) => `/sims/${iccid}/usage/summary?start_date=${start}&end_date=${today}`),
      },
    };
    const singleResults: Record<string, { api: Load; baseline: Load; throughputOfBaseline: number }> = {};
    for (const [name, paths] of Object.entries(single)) {
      const baseRun = await load(baseUrl, {}, paths.base);
      const apiRun = await load(apiUrl, auth, paths.api, platformPid);
      singleResults[name] = { api: apiRun, baseline: baseRun, throughputOfBaseline: Number((apiRun.rps / baseRun.rps).toFixed(3)) };
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rssAfterMb = mb(rssNow(platformPid));

    const rssPeakMb = Math.max(...[...Object.values(fresh), ...Object.values(vacuumed)].map((r) => (r as Load).rssPeakMb), ...Object.values(singleResults).map((r) => r.api.rssPeakMb));
    const listMet = (results: Record<string, unknown>) =>
      Object.entries(results).filter(([name, r]) => name !== 'baseline_health_live' && (r as { met: boolean }).met === false).map(([name]) => name);
    const freshMisses = listMet(fresh);
    const vacuumedMisses = listMet(vacuumed);
    const singleMet = Object.values(singleResults).every((r) => r.throughputOfBaseline >= 0.7 && r.api.p99 < 50);
    return {
      backend: backend.label,
      machine: `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' / ')}`,
      sims: SIMS,
      usageRows: SIMS * DAYS,
      connections: CONNECTIONS,
      durationSeconds: DURATION_SECONDS,
      seedSimsSeconds: Number(seedSimsSeconds.toFixed(1)),
      seedUsageSeconds: Number(seedUsageSeconds.toFixed(1)),
      vacuumAnalyzeSeconds: Number(vacuumSeconds.toFixed(1)),
      simsColumnStatisticsBeforeFreshRun: statisticsBefore,
      platformMaintenanceDuringFreshRun,
      lists_fresh_import: fresh,
      lists_vacuumed: vacuumed,
      ...singleResults,
      platformProcess: platform === undefined ? 'in this process (PGlite): RSS includes the benchmark' : 'node dist/src/main.js in its own process: RSS is the platform alone',
      rssMb: { start: rssStartMb, afterFreshLists: rssAfterFreshMb, after: rssAfterMb, peak: rssPeakMb, met: rssPeakMb <= RSS_TARGET_MB && rssAfterMb <= RSS_TARGET_MB },
      target: `lists: p99 < ${LIST_TARGET.p99Ms} ms and >= ${LIST_TARGET.rps} req/s each, fresh and vacuumed; get_sim and usage_summary_90d: >= 0.70 of baseline throughput and p99 < 50 ms; RSS <= ${RSS_TARGET_MB} MB during and after the loads`,
      listsMissed: { fresh_import: freshMisses, vacuumed: vacuumedMisses },
      met: freshMisses.length === 0 && vacuumedMisses.length === 0 && singleMet && rssPeakMb <= RSS_TARGET_MB && rssAfterMb <= RSS_TARGET_MB,
    };
  } finally {
    if (platform !== undefined) await stopChild(platform.child);
    await app.close();
    await baseline.close();
    await deps.close();
    if (baselineDb !== database) await baselineDb.close();
    if (backend.url !== undefined) await dropSchema(backend.url, schema);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
