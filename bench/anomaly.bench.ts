/**
 * Anomaly benchmark (issue 16): the anomaly sweep over 100,000 SIMs x 28 days of daily usage on
 * PostgreSQL (see `benchBackend`), every anomaly rule enabled. Target: under 10 s per sweep. Each
 * detector is one set-based statement (src/modules/intelligence/anomalies.repo.ts), never a query
 * per SIM.
 *
 * Sweeps measured: the first (every SIM's IMEI, country and operator recorded as its baseline), a
 * steady-state one (nothing new), and one after 100 IMEIs and 100 countries changed; plus a batch
 * evaluation of 1,000 SIMs (a Data Streamer batch). The fleet has 0.1 % runaway and 0.1 % silent SIMs,
 * so the figures include raising their alerts.
 *
 * BENCH_SIMS shrinks the fleet for a quick trial run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite-pool.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { BENCH_ENV, benchBackend, createSchema, dropSchema, scratchSchemaName } from './helpers.js';

const SIMS = Number(process.env.BENCH_SIMS ?? 100_000);
/** Baseline days plus yesterday and the running day. */
const DAYS = 30;
const TARGET_SECONDS = 10;
const BATCH = 1_000;

/** Runs the anomaly benchmark; returns its figures. */
export async function runAnomalyBench(): Promise<Record<string, unknown>> {
  const backend = await benchBackend('anomaly');
  const schema = scratchSchemaName();
  if (backend.url !== undefined) await createSchema(backend.url, schema);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-bench-anomaly-'));
  const metrics = createMetrics();
  const pglite = backend.kind === 'pglite' ? await openPglite(undefined) : undefined;
  const database = await createDb({ databaseUrl: backend.url, dataDir, poolMax: 10, searchPath: schema, observer: metrics.db, ...(pglite && { pglite }) });
  try {
    await migrate(database);
    const config = loadConfig({ ...BENCH_ENV, DATA_DIR: dataDir });
    const deps = await createDeps(config, createLogger(config), { database, metrics });
    try {
      const account = await deps.accounts.ensureDefaultAccount({ apiUrl: config.provider.apiUrl, clientId: 'bench', clientSecret: 'bench-secret' });
      const seedStarted = performance.now();
      await database.withConnection(async (conn) => {
        await conn.exec(
          `insert into sims (account_id, iccid, status, tags, imei, country_name, operator_name, data_total_bytes, data_remaining_bytes, last_synced_at, source)
           select '${account.id}'::uuid, '8988280666' || lpad(g::text, 9, '0'), 'Enabled',
             case when g % 3 = 0 then array['north'] when g % 3 = 1 then array['south', 'meters'] else array[]::text[] end,
             '35' || lpad(((g::bigint * 15485863) % 10000000000000)::text, 13, '0'),
             (array['Germany', 'Poland', 'France'])[1 + g % 3], (array['T-Mobile', 'Plus', 'Orange'])[1 + g % 3],
             524288000, 300000000, now(), 'provider'
           from generate_series(1, ${SIMS}) g`,
        );
        // Day by day, oldest first, as the daily sync writes them. 1-5 MB a day with noise; every 1,000th SIM runs away yesterday and today, every 1,000th (offset 500) is silent for four days.
        await conn.exec(
          `insert into sim_usage (sim_id, day, data_rx_bytes, data_tx_bytes, data_total_bytes, sms_mo, sms_mt, source)
           select s.id, current_date - i,
             0, 0,
             case when s.id % 1000 = 0 and i <= 1 then 200000000
                  when s.id % 1000 = 500 and i <= 3 then 0
                  else 1000000 + ((s.id * 7919 + i * 104729) % 4000000) end,
             0, 0, 'poll'
           from generate_series(${DAYS - 1}, 0, -1) i cross join sims s
           order by i desc, s.id`,
        );
        await conn.exec('analyze sims; analyze sim_usage');
      });
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      await deps.alerts.ensureDefaultRules();
      // Every anomaly rule on, new operators included.
      await database.db.updateTable('alert_rules').set({ enabled: true }).execute();

      const timed = async (run: () => Promise<{ raised: number; candidates: number; observed: number }>) => {
        const started = performance.now();
        const counts = await run();
        return { seconds: (performance.now() - started) / 1000, raised: counts.raised, candidates: counts.candidates, observed: counts.observed };
      };
      const first = await timed(() => deps.intelligence.anomalies.sweep());
      const steady = await timed(() => deps.intelligence.anomalies.sweep());
      await database.withConnection((conn) =>
        conn.exec(
          `update sims set imei = '49' || lpad(id::text, 13, '0') where id % ${Math.max(1, Math.floor(SIMS / 100))} = 1;
           update sims set country_name = 'United States' where id % ${Math.max(1, Math.floor(SIMS / 100))} = 2`,
        ),
      );
      const changed = await timed(() => deps.intelligence.anomalies.sweep());
      const iccids = (await database.db.selectFrom('sims').select('iccid').orderBy('id').limit(BATCH).execute()).map((r) => r.iccid);
      const batch = await timed(() => deps.intelligence.anomalies.evaluateSims(iccids));
      const alerts = await database.db.selectFrom('alerts').select(['metric']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('metric').execute();
      const worst = Math.max(first.seconds, steady.seconds, changed.seconds);
      return {
        backend: backend.label,
        sims: SIMS,
        days: DAYS,
        usage_rows: SIMS * DAYS,
        seed_seconds: seedSeconds,
        sweep_first: first,
        sweep_steady: steady,
        sweep_after_changes: changed,
        batch_1000_sims: batch,
        alerts_by_metric: Object.fromEntries(alerts.map((a) => [a.metric, Number(a.n)])),
        target: `< ${TARGET_SECONDS} s per sweep`,
        met: worst < TARGET_SECONDS,
        load_average_1m: loadavg()[0],
      };
    } finally {
      await deps.close();
    }
  } finally {
    if (backend.url !== undefined) await dropSchema(backend.url, schema).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
