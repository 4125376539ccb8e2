/**
 * Sync benchmark (issue 6): sweep a 100,000-SIM simulated fleet into PostgreSQL while the
 * simulator enforces 1NCE's 10 requests/s on /sims. 1,000 list pages of 100 SIMs make 100 s the
 * theoretical minimum. Reports wall time against it, 429s received (target 0) and database
 * upserts per second (rows written / time spent in the page upserts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createSimulator } from '../src/simulator/index.js';
import { BENCH_ENV, benchBackend, createSchema, dropSchema, scratchSchemaName } from './helpers.js';

/** BENCH_SYNC_SIMS shrinks the fleet for a quick trial run. */
const FLEET_SIZE = Number(process.env.BENCH_SYNC_SIMS ?? 100_000);
const SIMS_RPS = 10;
const PAGE_SIZE = 100;

/** Runs the benchmark and returns its figures. */
export async function runSyncBench(): Promise<Record<string, unknown>> {
  const simulator = await createSimulator({ port: 0, fleetSize: FLEET_SIZE, seed: 11, clientId: 'bench', clientSecret: 'bench-secret', mode: 'observed', simsRps: SIMS_RPS });
  const apiUrl = await simulator.listen(0, '127.0.0.1');
  const origin = new URL(apiUrl).origin;
  const backend = await benchBackend('sync');
  const DATABASE_URL = backend.url;
  const schema = scratchSchemaName();
  if (DATABASE_URL !== undefined) await createSchema(DATABASE_URL, schema);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-bench-'));
  const config = loadConfig({
    ...BENCH_ENV,
    ...(DATABASE_URL !== undefined && { DATABASE_URL }),
    DATA_DIR: dataDir,
    ONCE_API_URL: apiUrl,
    ROLE: 'api',
  });
  const metrics = createMetrics();
  const database = await createDb({ databaseUrl: DATABASE_URL, dataDir, poolMax: 5, searchPath: schema, observer: metrics.db });
  await migrate(database);
  const deps = await createDeps(config, createLogger(config), { database, metrics });
  try {
    const account = await deps.accounts.ensureDefaultAccount({ apiUrl, clientId: 'bench', clientSecret: 'bench-secret' });
    const result = await deps.fleet.sync.sweep(account.id, { priority: 'background', details: false, pageSize: PAGE_SIZE });
    const stats = (await (await fetch(`${origin}/_simulator/stats`)).json()) as { requests: Record<string, number>; rateLimited: { total: number } };
    const rows = await database.db.selectFrom('sims').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const wallSeconds = result.durationMs / 1000;
    const minimumSeconds = Math.ceil(FLEET_SIZE / PAGE_SIZE) / SIMS_RPS;

    return {
      backend: backend.label,
      fleetSize: FLEET_SIZE,
      pageSize: PAGE_SIZE,
      limitRps: SIMS_RPS,
      listRequests: stats.requests['GET /v2/sims'] ?? 0,
      rowsStored: Number(rows.n),
      inserted: result.inserted,
      wallSeconds: Number(wallSeconds.toFixed(1)),
      theoreticalMinimumSeconds: minimumSeconds,
      wallOfMinimum: Number((wallSeconds / minimumSeconds).toFixed(3)),
      rateLimited429: stats.rateLimited.total,
      upsertSeconds: Number((result.upsertMs / 1000).toFixed(2)),
      upsertsPerSecond: Math.round(result.upserted / (result.upsertMs / 1000)),
      target: '0 x 429, wall time close to the 100 s minimum, every SIM stored',
      met: stats.rateLimited.total === 0 && Number(rows.n) === FLEET_SIZE && wallSeconds / minimumSeconds < 1.15,
    };
  } finally {
    await deps.close();
    await simulator.close();
    if (DATABASE_URL !== undefined) await dropSchema(DATABASE_URL, schema);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
