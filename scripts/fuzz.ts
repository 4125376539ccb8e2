/**
 * The long route-fuzzing run: the same property as test/fuzz/routes.fuzz.test.ts with a larger
 * budget and any seed. Runs through Vitest because the test database helpers live there.
 *
 *   npm run fuzz                       # 200 requests per operation, seed from the clock (printed)
 *   npm run fuzz -- --runs 1000 --seed 42
 *
 * Set TEST_DATABASE_URL (and TEST_REDIS_URL) to fuzz PostgreSQL too. A failure prints each finding
 * with its seed so it can be replayed with --seed.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
  },
});
const runs = Number(values.runs);
const seed = Number(values.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- [--runs N] [--seed N]');
  process.exit(2);
}
console.info(`route fuzzing: ${runs} requests per operation, seed ${seed}`);
const result = spawnSync('npx', ['vitest', 'run', 'test/fuzz/routes.fuzz.test.ts', '--hookTimeout', '120000'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed) },
});
process.exit(result.status ?? 1);
