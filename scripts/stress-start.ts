/**
 * Start-up race stress: `npx tsx scripts/stress-start.ts [rounds] [replicas]` starts `replicas`
 * real processes at once on a fresh PostgreSQL database (DATABASE_URL or TEST_DATABASE_URL names
 * the server; a randomly named database is created and dropped per round) and reports any replica
 * that failed to become ready. Set BUILT=1 to run dist/ (after `npm run build`) instead of tsx.
 */
import { startRound } from './lib/replicas.js';

const adminUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
if (adminUrl === undefined) {
  process.stderr.write('set TEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server this user may create databases on\n');
  process.exit(2);
}
const rounds = Number(process.argv[2] ?? 20);
const replicas = Number(process.argv[3] ?? 4);
let failures = 0;
for (let i = 1; i <= rounds; i++) {
  const started = performance.now();
  const round = await startRound({ adminUrl, replicas, built: process.env.BUILT === '1' });
  try {
    const results = await round.settle();
    const failed = results.filter((r) => r.error !== undefined);
    failures += failed.length;
    const ms = Math.round(performance.now() - started);
    process.stdout.write(`round ${i}/${rounds}: ${results.length - failed.length}/${replicas} ready in ${ms} ms\n`);
    for (const f of failed) process.stdout.write(`  replica ${f.index}: ${f.error}\n`);
  } finally {
    await round.cleanup();
  }
}
process.stdout.write(failures === 0 ? `all ${rounds} rounds: every replica became ready\n` : `${failures} replica start(s) failed\n`);
process.exit(failures === 0 ? 0 : 1);
