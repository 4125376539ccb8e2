import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startRound } from '../../scripts/lib/replicas.js';
import { databaseUrl } from '../helpers/db.js';

/**
 * Replicas that start together (a Kubernetes Deployment rolling out N pods on a fresh database):
 * four real processes at once, ROLE=all, each on a random port, on a freshly created PostgreSQL
 * database, five rounds. Every replica must become ready, one first sweep is queued per install, and
 * they share one demo signing secret. More rounds: `npx tsx scripts/stress-start.ts 20 4`.
 * PostgreSQL only (PGlite is one process by construction): runs when TEST_DATABASE_URL is set.
 */
const ROUNDS = 5;
const REPLICAS = 4;
const targets = databaseUrl === undefined ? [] : ['postgres'];

describe.each(targets)('replicas starting together (%s)', () => {
  it(`${REPLICAS} processes at once on a fresh database, ${ROUNDS} rounds: all ready, one first sweep`, { timeout: ROUNDS * 240_000 }, async () => {
    for (let i = 1; i <= ROUNDS; i++) {
      const round = await startRound({ adminUrl: databaseUrl!, replicas: REPLICAS, readyTimeoutMs: 200_000 });
      try {
        const results = await round.settle();
        expect(results.filter((r) => r.error !== undefined), `round ${i}`).toEqual([]);
        for (const r of results) expect((await fetch(`${r.url}/health/ready`)).status).toBe(200);

        const client = new pg.Client({ connectionString: round.databaseUrl });
        await client.connect();
        try {
          const sweeps = await client.query<{ n: number }>(
            `select (select count(*) from pgboss.job where name = 'sync-sims' and singleton_key = 'first-sweep')::int as n`,
          );
          expect(sweeps.rows[0]!.n, `round ${i}: first sweeps queued`).toBe(1);
          const accounts = await client.query<{ n: number }>('select count(*)::int as n from provider_accounts');
          expect(accounts.rows[0]!.n).toBe(1);
          const admins = await client.query<{ n: number }>('select count(*)::int as n from users');
          expect(admins.rows[0]!.n).toBe(1);
        } finally {
          await client.end();
        }
        // One DATA_DIR for all: exactly one process generated the demo secret; the others read it.
        const generated = round.replicas.filter((r) => r.lines.some((l) => l.includes('generated a JWT signing secret')));
        expect(generated).toHaveLength(1);
        // One admin password was shown, by the replica that created the admin.
        expect(round.replicas.filter((r) => r.lines.some((l) => l.includes('created admin user')))).toHaveLength(1);
      } finally {
        await round.cleanup();
      }
    }
  });
});

describe('replica start-up tests', () => {
  it('run on PostgreSQL only when TEST_DATABASE_URL is set', () => {
    if (databaseUrl === undefined) console.warn('SKIPPED: replicas starting together need TEST_DATABASE_URL (PostgreSQL)');
    expect(targets).toEqual(databaseUrl === undefined ? [] : ['postgres']);
  });
});
