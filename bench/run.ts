/**
 * `npm run bench`: runs every benchmark, prints one table per benchmark and writes
 * bench/results/<name>.json. Figures, not pass/fail: targets are printed beside them.
 * `npm run bench -- provider` runs only the named benchmarks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runBulkBench } from './bulk.bench.js';
import { runAnomalyBench } from './anomaly.bench.js';
import { runConsoleBench } from './console.bench.js';
import { runFleetApiBench } from './fleet-api.bench.js';
import { runProviderBench } from './provider.bench.js';
import { runScaleBench } from './scale.bench.js';
import { runSoakBench } from './soak.bench.js';
import { runStartBench } from './start.bench.js';
import { runStreamerBench } from './streamer.bench.js';
import { runSyncBench } from './sync.bench.js';

type Bench = () => Promise<Record<string, unknown>>;

/** In the order they run; `npm run bench -- <name> ...` picks some. */
const BENCHES: Record<string, Bench> = {
  provider: runProviderBench,
  streamer: runStreamerBench,
  sync: runSyncBench,
  bulk: runBulkBench,
  'fleet-api': runFleetApiBench,
  start: runStartBench,
  console: runConsoleBench,
  anomaly: runAnomalyBench,
  // Last and long (1,000,000 SIMs): `npm run bench -- scale`, BENCH_SCALE_SIMS to shrink it.
  scale: runScaleBench,
};

/** Run only when named: `npm run bench -- soak` lasts 10 minutes. */
const ON_REQUEST: Record<string, Bench> = { soak: runSoakBench };

function flatten(value: unknown, prefix = ''): Array<[string, string]> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix === '' ? k : `${prefix}.${k}`));
  }
  return [[prefix, typeof value === 'number' ? String(Math.round(value * 100) / 100) : JSON.stringify(value)]];
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
  const outDir = path.resolve('bench/results');
  mkdirSync(outDir, { recursive: true });
  for (const name of names) {
    const bench = BENCHES[name] ?? ON_REQUEST[name];
    if (bench === undefined) throw new Error(`unknown benchmark "${name}"; known: ${[...Object.keys(BENCHES), ...Object.keys(ON_REQUEST)].join(', ')}`);
    process.stdout.write(`\n## ${name}\n`);
    const result = await bench();
    const rows = flatten(result);
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
    writeFileSync(
      path.join(outDir, `${name}.json`),
      `${JSON.stringify({ name, at: new Date().toISOString(), node: process.version, result }, null, 2)}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
