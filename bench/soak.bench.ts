/**
 * Soak (issue 13): a mixed workload against a seeded fleet on PostgreSQL for a long time, to show
 * that memory stays flat (no leak), latency stays stable, and no pool connection or socket leaks.
 *
 * The platform runs in this process (ROLE=api, the real app listening on a port); the workload runs
 * in a child process so its memory is not charged to the platform. Eight concurrent callers pick,
 * by weight: single-SIM reads, filtered and sorted lists, CSV exports, Data Streamer batches (50
 * usage records each), bulk jobs as dry runs, logins and the fleet summary.
 *
 * Reported per interval (a minute by default): requests, p50/p99, non-2xx answers, and the
 * platform's RSS and heap. Memory is sampled every SOAK_SAMPLE_SECONDS after a forced full GC, so a
 * sample shows what is retained, not what is merely not yet collected. Warm-up (caches and pools
 * filling, code being optimised) is told from a leak by the trend of the heap after GC over the
 * second half of the run only: its least-squares slope in MB per minute, with the verdict "flat"
 * when that slope is below SOAK_FLAT_MB_PER_MINUTE. Pool, socket and server connection counts at the
 * start and the end (after the load stops).
 *
 * SOAK_SIMS (default 100,000), SOAK_SECONDS (600), SOAK_INTERVAL_SECONDS (60), SOAK_SAMPLE_SECONDS
 * (10), SOAK_FLAT_MB_PER_MINUTE (0.5), SOAK_RSS_FLAT_MB_PER_MINUTE (1). SOAK_HEAP_SNAPSHOTS=120,360,600 writes a heap snapshot
 * (after a full GC) at each of those seconds into SOAK_HEAP_SNAPSHOT_DIR (default: a temporary
 * directory, printed); a time at or past the end is taken after the load stops. Compare them with
 * `npx tsx bench/heap-diff.ts A.heapsnapshot B.heapsnapshot`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildApp } from '../src/app.js';
import type { MemoryCache } from '../src/cache.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite-pool.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { setDefaultHashCost, TEST_HASH_COST } from '../src/modules/users/password.js';
import { seedSims } from './fleet-api.bench.js';
import { BENCH_ENV, benchBackend, createSchema, dropSchema, scratchSchemaName } from './helpers.js';

const SIMS = Number(process.env.SOAK_SIMS ?? 100_000);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const INTERVAL_SECONDS = Number(process.env.SOAK_INTERVAL_SECONDS ?? 60);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10);
/** A second-half heap slope below this (MB per minute) reads as flat. 0.5 MB/min is 30 MB an hour. */
const FLAT_MB_PER_MINUTE = Number(process.env.SOAK_FLAT_MB_PER_MINUTE ?? 0.5);
/**
 * RSS is noisier than the heap (the allocator keeps freed pages, the heap's semispaces resize), so its
 * second-half slope reads as flat below SOAK_RSS_FLAT_MB_PER_MINUTE (1 MB/min, 60 MB an hour).
 */
const RSS_FLAT_MB_PER_MINUTE = Number(process.env.SOAK_RSS_FLAT_MB_PER_MINUTE ?? 1);
const SNAPSHOT_SECONDS = (process.env.SOAK_HEAP_SNAPSHOTS ?? '')
  .split(',')
  .map((t) => t.trim())
  .filter((t) => t !== '')
  .map(Number)
  .filter((t) => Number.isFinite(t) && t >= 0)
  .sort((a, b) => a - b);
const CONCURRENCY = 8;
const PASSWORD = 'violet-Harbor-kettle-42';
const STREAMER = { username: 'soak-streamer', password: 'soak-streamer-password-0123456789' };

const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

/**
 * The workload, as plain JavaScript for a child process. It receives the plan over IPC, runs
 * CONCURRENCY callers until the deadline, and answers with per-interval latency figures.
 */
const WORKLOAD = `
const percentile = (sorted, p) => sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
process.once('message', async ({ url, apiKey, streamerAuth, username, password, sims, seconds, intervalSeconds, concurrency }) => {
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const intervals = [];
  let seq = 0;
  const sim = () => '8988280666' + String(1 + Math.floor(Math.random() * sims)).padStart(9, '0');
  const json = (body) => ({ 'content-type': 'application/json' });
  const kinds = [
    ['read', 25, () => ({ path: '/api/v1/sims/' + sim() })],
    ['list', 30, () => {
      const filters = ['status=Enabled', 'status=Disabled&tag=north', 'q=Device-' + Math.floor(Math.random() * sims), 'connectivity=OFFLINE', 'quota_below=20', 'sort=-last_seen_at', 'tag=meters&sort=label'];
      return { path: '/api/v1/sims?page_size=50&page=' + (1 + Math.floor(Math.random() * 20)) + '&' + filters[Math.floor(Math.random() * filters.length)] };
    }],
    ['export', 3, () => ({ path: '/api/v1/sims/export?format=csv&status=Disabled&tag=north' })],
    ['streamer', 10, () => {
      const at = new Date(Date.now() - 3600_000).toISOString();
      const records = Array.from({ length: 50 }, () => ({
        id: 'soak-' + process.pid + '-' + (seq++), imsi: '901405100000001', start_timestamp: at, end_timestamp: at,
        sim: { iccid: sim(), msisdn: '882285100000001' }, traffic_type: { id: 5, description: 'Data' },
        volume: { total: 0.25, tx: 0.05, rx: 0.2 }, cost: 0.01, currency: { id: 1, symbol: '€', code: 'EUR' },
      }));
      return { path: '/api/v1/streams/1nce', method: 'POST', body: JSON.stringify(records), headers: { authorization: streamerAuth, 'content-type': 'application/json' } };
    }],
    ['bulk_dry_run', 5, () => ({ path: '/api/v1/bulk-jobs', method: 'POST', body: JSON.stringify({ action: 'add_tag', filter: { status: 'Disabled', tag: 'north' }, params: { tag: 'soak' }, dry_run: true }), headers: json() })],
    ['login', 5, () => ({ path: '/api/v1/auth/login', method: 'POST', body: JSON.stringify({ username, password }), headers: { 'content-type': 'application/json' }, anonymous: true })],
    ['summary', 5, () => ({ path: '/api/v1/fleet/summary' })],
  ];
  const total = kinds.reduce((a, k) => a + k[1], 0);
  const pick = () => { let r = Math.random() * total; for (const k of kinds) { r -= k[1]; if (r < 0) return k; } return kinds[0]; };
  const slot = () => {
    const i = Math.floor((Date.now() - started) / (intervalSeconds * 1000));
    return (intervals[i] ??= { latencies: [], byKind: {}, statuses: {}, errors: 0 });
  };
  const worker = async () => {
    while (Date.now() < deadline) {
      const [kind, , make] = pick();
      const req = make();
      const t0 = performance.now();
      let status = 0;
      try {
        const headers = { ...(req.anonymous ? {} : req.headers?.authorization ? {} : { 'x-api-key': apiKey }), ...(req.headers ?? {}) };
        const response = await fetch(url + req.path, { method: req.method ?? 'GET', headers, body: req.body, signal: AbortSignal.timeout(30000) });
        await response.arrayBuffer();
        status = response.status;
      } catch { status = 0; }
      const ms = performance.now() - t0;
      const s = slot();
      s.latencies.push(ms);
      (s.byKind[kind] ??= []).push(ms);
      s.statuses[status] = (s.statuses[status] ?? 0) + 1;
      if (status === 0 || status >= 400) s.errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const summary = intervals.map((s, i) => {
    const sorted = s.latencies.sort((a, b) => a - b);
    return {
      interval: i, requests: sorted.length, rps: Math.round(sorted.length / intervalSeconds), p50Ms: Math.round(percentile(sorted, 0.5) * 10) / 10, p99Ms: Math.round(percentile(sorted, 0.99) * 10) / 10,
      errors: s.errors, statuses: s.statuses,
      byKind: Object.fromEntries(Object.entries(s.byKind).map(([k, v]) => { const x = v.sort((a, b) => a - b); return [k, { n: x.length, p50Ms: Math.round(percentile(x, 0.5)), p99Ms: Math.round(percentile(x, 0.99)) }]; })),
    };
  });
  process.send(summary, () => process.exit(0));
});
`;

/** A full garbage collection on demand, so heap samples show what is retained rather than what is not yet collected. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Open sockets and handles of this process, by kind. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Runs the soak and returns its figures. */
export async function runSoakBench(): Promise<Record<string, unknown>> {
  setDefaultHashCost(TEST_HASH_COST);
  const backend = await benchBackend('soak');
  const schema = scratchSchemaName();
  if (backend.url !== undefined) await createSchema(backend.url, schema);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-soak-'));
  const config = loadConfig({
    ...BENCH_ENV,
    ...(backend.url !== undefined && { DATABASE_URL: backend.url }),
    DATA_DIR: dataDir,
    ONCE_API_URL: 'http://127.0.0.1:9/management-api',
    API_RATE_LIMIT_RPS: '100000',
    DATABASE_POOL_MAX: '10',
    ROLE: 'api',
    STREAMER_USERNAME: STREAMER.username,
    STREAMER_PASSWORD: STREAMER.password,
  });
  const metrics = createMetrics();
  const pglite = backend.kind === 'pglite' ? await openPglite(undefined) : undefined;
  const database = await createDb({ databaseUrl: backend.url, dataDir, poolMax: 10, searchPath: schema, observer: metrics.db, ...(pglite && { pglite }) });
  await migrate(database);
  const deps = await createDeps(config, createLogger(config), { database, metrics });
  const app = await buildApp(deps);
  try {
    const account = await deps.accounts.ensureDefaultAccount({ apiUrl: config.provider.apiUrl, clientId: 'soak', clientSecret: 'soak-secret' });
    const seedSeconds = await seedSims(database, account.id, SIMS);
    await database.withConnection((conn) => conn.exec('analyze sims')).catch(() => undefined);
    const username = `soak_${randomBytes(4).toString('hex')}`;
    const user = await deps.identity.users.createUser({ username, email: null, password: PASSWORD, role: 'admin' });
    const key = await deps.identity.apiKeys.create({ kind: 'user', userId: user.id, username, role: 'admin', userRole: 'admin' }, { name: 'soak' });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });

    const gc = collector();
    // The in-process cache (no REDIS_URL here): how many entries it holds, expired ones not yet swept included.
    const cacheEntries = () => ('size' in deps.cache ? (deps.cache as MemoryCache).size().entries : undefined);
    gc();
    const start = { rssMb: mb(process.memoryUsage.rss()), heapMb: mb(process.memoryUsage().heapUsed), pool: { ...poolOf(deps) }, handles: handles(), serverConnections: await connections(app.server), cacheEntries: cacheEntries() };
    process.stdout.write(`soak: ${SIMS} SIMs seeded in ${seedSeconds.toFixed(1)} s; ${SECONDS} s of load in ${INTERVAL_SECONDS} s intervals, memory sampled every ${SAMPLE_SECONDS} s\n`);

    const memory: Array<{ atSeconds: number; rssMb: number; heapMb: number; externalMb: number; arrayBuffersMb: number; cacheEntries?: number | undefined }> = [];
    const snapshotDir = SNAPSHOT_SECONDS.length === 0 ? undefined : (process.env.SOAK_HEAP_SNAPSHOT_DIR ?? mkdtempSync(path.join(tmpdir(), 'simfleet-soak-heap-')));
    if (snapshotDir !== undefined) mkdirSync(snapshotDir, { recursive: true });
    const snapshots: Array<{ atSeconds: number; file: string; heapMb: number }> = [];
    const pendingSnapshots = [...SNAPSHOT_SECONDS];
    const snapshot = (atSeconds: number) => {
      gc();
      const file = v8.writeHeapSnapshot(path.join(snapshotDir!, `soak-${String(atSeconds).padStart(4, '0')}s.heapsnapshot`));
      snapshots.push({ atSeconds, file, heapMb: mb(process.memoryUsage().heapUsed) });
      process.stdout.write(`soak: heap snapshot at ${atSeconds} s: ${file}\n`);
    };
    const t0 = performance.now();
    const elapsed = () => (performance.now() - t0) / 1000;
    const sampler = setInterval(() => {
      gc();
      const usage = process.memoryUsage();
      memory.push({ atSeconds: Math.round(elapsed()), rssMb: mb(usage.rss), heapMb: mb(usage.heapUsed), externalMb: mb(usage.external), arrayBuffersMb: mb(usage.arrayBuffers), cacheEntries: cacheEntries() });
      while (pendingSnapshots.length > 0 && pendingSnapshots[0]! <= elapsed() && pendingSnapshots[0]! < SECONDS) snapshot(pendingSnapshots.shift()!);
    }, SAMPLE_SECONDS * 1000);
    const child = spawn(process.execPath, ['-e', WORKLOAD], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let intervals: Array<Record<string, unknown> & { interval: number; requests: number; errors: number; p99Ms: number }>;
    try {
      intervals = await new Promise((resolve, reject) => {
        child.once('message', (message) => resolve(message as typeof intervals));
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`workload exited with ${code}`))));
        child.send({
          url,
          apiKey: key.api_key,
          streamerAuth: `Basic ${Buffer.from(`${STREAMER.username}:${STREAMER.password}`).toString('base64')}`,
          username,
          password: PASSWORD,
          sims: SIMS,
          seconds: SECONDS,
          intervalSeconds: INTERVAL_SECONDS,
          concurrency: CONCURRENCY,
        });
      });
    } finally {
      clearInterval(sampler);
    }
    // The last callers finish just after the deadline: that sliver is not an interval of its own.
    intervals = intervals.filter((s) => s.interval < Math.ceil(SECONDS / INTERVAL_SECONDS));
    // Let keep-alive sockets and idle pool clients settle, as they would between bursts.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    gc();
    const end = { rssMb: mb(process.memoryUsage.rss()), heapMb: mb(process.memoryUsage().heapUsed), pool: { ...poolOf(deps) }, handles: handles(), serverConnections: await connections(app.server), cacheEntries: cacheEntries() };
    for (const at of pendingSnapshots) snapshot(at);

    // Memory per interval (highest sample), and the trend over the second half (after warm-up).
    const perInterval = intervals.map((s) => {
      const inside = memory.filter((m) => m.atSeconds > s.interval * INTERVAL_SECONDS && m.atSeconds <= (s.interval + 1) * INTERVAL_SECONDS);
      return { ...s, rssMb: Math.max(0, ...inside.map((m) => m.rssMb)), heapMb: Math.max(0, ...inside.map((m) => m.heapMb)), cacheEntries: inside.at(-1)?.cacheEntries };
    });
    const firstHalf = memory.filter((m) => m.atSeconds < SECONDS / 2);
    const secondHalf = memory.filter((m) => m.atSeconds >= SECONDS / 2);
    const round2 = (x: number) => Math.round(x * 100) / 100;
    const heapSlopeFirstHalf = round2(slopePerMinute(firstHalf.map((m) => [m.atSeconds, m.heapMb])));
    const heapSlope = round2(slopePerMinute(secondHalf.map((m) => [m.atSeconds, m.heapMb])));
    const rssSlope = round2(slopePerMinute(secondHalf.map((m) => [m.atSeconds, m.rssMb])));
    const externalSlope = round2(slopePerMinute(secondHalf.map((m) => [m.atSeconds, m.externalMb])));
    const verdict = (slope: number, threshold: number) =>
      secondHalf.length < 3 ? 'too short to tell' : Math.abs(slope) < threshold ? 'flat' : slope > 0 ? 'growing' : 'shrinking';
    // A plateau shows as the last quarter's highest RSS not above the second quarter's by more than the threshold allows.
    const quarter = (q: number) => memory.filter((m) => m.atSeconds >= (q * SECONDS) / 4 && m.atSeconds < ((q + 1) * SECONDS) / 4).map((m) => m.rssMb);
    const p99s = intervals.map((s) => s.p99Ms);
    return {
      backend: backend.label,
      sims: SIMS,
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      requests: intervals.reduce((a, s) => a + s.requests, 0),
      errors: intervals.reduce((a, s) => a + s.errors, 0),
      p99MsFirstInterval: p99s[0],
      p99MsLastInterval: p99s.at(-1),
      rssMbStart: start.rssMb,
      rssMbEnd: end.rssMb,
      rssMbPeak: Math.max(start.rssMb, ...memory.map((m) => m.rssMb)),
      heapMbAfterGcStart: start.heapMb,
      heapMbAfterGcEnd: end.heapMb,
      heapSlopeMbPerMinuteFirstHalf: heapSlopeFirstHalf,
      heapSlopeMbPerMinuteSecondHalf: heapSlope,
      rssSlopeMbPerMinuteSecondHalf: rssSlope,
      externalSlopeMbPerMinuteSecondHalf: externalSlope,
      rssMbHighestSecondQuarter: Math.max(0, ...quarter(1)),
      rssMbHighestLastQuarter: Math.max(0, ...quarter(3)),
      flatThresholdMbPerMinute: FLAT_MB_PER_MINUTE,
      rssFlatThresholdMbPerMinute: RSS_FLAT_MB_PER_MINUTE,
      heapVerdict: verdict(heapSlope, FLAT_MB_PER_MINUTE),
      rssVerdict: verdict(rssSlope, RSS_FLAT_MB_PER_MINUTE),
      sampleSeconds: SAMPLE_SECONDS,
      p99MsMin: Math.min(...p99s),
      p99MsMax: Math.max(...p99s),
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      cpus: os.cpus().length,
      start,
      end,
      intervals: perInterval,
      memory,
      ...(snapshots.length > 0 && { heapSnapshots: snapshots }),
      note: 'measured on a busy shared 2-core machine unless stated otherwise',
    };
  } finally {
    await app.close();
    await deps.close();
    if (backend.url !== undefined) await dropSchema(backend.url, schema);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function poolOf(deps: { database: { pool: { totalCount: number; idleCount: number; waitingCount: number } } }) {
  const { totalCount, idleCount, waitingCount } = deps.database.pool;
  return { total: totalCount, idle: idleCount, waiting: waitingCount };
}

function connections(server: { getConnections(cb: (error: Error | null, count: number) => void): void }): Promise<number> {
  return new Promise((resolve) => server.getConnections((_error, count) => resolve(count)));
}

/** Least-squares slope of y over x (x in seconds), per minute. */
function slopePerMinute(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  return sxx === 0 ? 0 : (sxy / sxx) * 60;
}

