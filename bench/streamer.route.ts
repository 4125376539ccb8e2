/**
 * Where a batch's time goes between the route and ingest (docs/adr/0017, Round 2):
 * `npx tsx bench/streamer.route.ts`. POSTs 3,000-record batches through the real route (`app.inject`,
 * as the benchmark does) and, in the same run, the same kind of batch with parts of the post-commit
 * work switched off, one at a time, so each part's share of a batch shows as a difference:
 * the alert/anomaly evaluation (`quotaChanged`, coalesced and run shortly after the answer) and the
 * live/webhook notifications; and `ingest` called directly (no HTTP). The statistics refresh stays on
 * (it is not reachable from outside `createDeps`).
 * The local PostgreSQL, BENCH_DATABASE_URL, or PGlite with BENCH_BACKEND=pglite.
 */
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite-pool.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/logger.js';
import { BENCH_ENV, benchBackend, createSchema, dropSchema, scratchSchemaName } from './helpers.js';
import { BATCH, seedFleet, usageBatches } from './streamer.fixture.js';

const BATCHES = Number(process.env.BENCH_ROUTE_BATCHES ?? 8);
const API_URL = 'http://127.0.0.1:9/management-api';

async function main(): Promise<void> {
  const backend = await benchBackend('streamer-route');
  const url = backend.url;
  const schema = scratchSchemaName();
  if (url !== undefined) await createSchema(url, schema);
  const config = loadConfig({ ...BENCH_ENV, ONCE_API_URL: API_URL, STREAMER_USERNAME: 'bench', STREAMER_PASSWORD: 'bench-streamer-password', API_RATE_LIMIT_RPS: '100000' });
  const pglite = url === undefined ? await openPglite(undefined) : undefined;
  const database = await createDb({ databaseUrl: url, dataDir: '', poolMax: 10, ...(url !== undefined && { searchPath: schema }), ...(pglite !== undefined && { pglite }) });
  try {
    await migrate(database);
    const deps = await createDeps(config, createLogger(config), { database });
    const app = await buildApp(deps);
    await app.ready();
    try {
      await seedFleet(deps, API_URL);
      const variants = ['route (as the benchmark)', 'route, no alert/anomaly evaluation', 'route, no notifications', 'route, neither', 'ingest() direct, neither'] as const;
      const payloads = usageBatches((variants.length * 2) * BATCHES + 1, 1_000_000, Date.now() - 8 * 86_400_000);
      const headers = { authorization: `Basic ${Buffer.from('bench:bench-streamer-password').toString('base64')}`, 'content-type': 'application/json' };
      const post = async (payload: string) => {
        const response = await app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers, payload });
        if (response.statusCode !== 200) throw new Error(`ingest answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      };
      const trigger = deps.alertTrigger;
      const changed = trigger.changed.bind(trigger);
      const many = deps.notify.many!;
      const set = (alerts: boolean, notify: boolean) => {
        trigger.changed = alerts ? changed : () => undefined;
        deps.notify.many = notify ? many : async () => undefined;
      };
      await post(payloads[0]!);
      let next = 1;
      const times = new Map<string, number[]>();
      // Two rounds, variants interleaved, so a change in the machine's load hits every variant alike.
      for (let round = 0; round < 2; round += 1) {
        for (const variant of variants) {
          const neither = variant.includes('neither');
          set(!neither && !variant.includes('alert'), !neither && !variant.includes('notifications'));
          await trigger.flush();
          for (let b = 0; b < BATCHES; b += 1) {
            const payload = payloads[next++]!;
            const started = performance.now();
            if (variant.startsWith('ingest')) await deps.streamer.ingest(JSON.parse(payload), '127.0.0.1', payload);
            else await post(payload);
            times.set(variant, [...(times.get(variant) ?? []), performance.now() - started]);
          }
        }
      }
      set(true, true);
      await trigger.flush();
      process.stdout.write(`${backend.label}\n${'variant'.padEnd(44)} ${'mean ms'.padStart(8)} ${'median'.padStart(8)}  records/s\n`);
      for (const [variant, values] of times) {
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const median = [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
        process.stdout.write(`${variant.padEnd(44)} ${mean.toFixed(1).padStart(8)} ${median.toFixed(1).padStart(8)}  ${Math.round((BATCH * 1000) / mean)}\n`);
        if (process.env.BENCH_ROUTE_VERBOSE) process.stdout.write(`  ${values.map((v) => v.toFixed(0)).join(" ")}\n`);
      }
    } finally {
      await app.close();
      await deps.close();
    }
  } finally {
    await database.close();
    if (url !== undefined) await dropSchema(url, schema);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
