import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { burnRate, forecastHistoryStart, type DailyConsumption } from '../../../src/modules/quotas/forecast.js';
import { dataBurnRates } from '../../../src/modules/quotas/forecast.sql.js';
import { backends, createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { dayOffset, insertAccount, insertSims, insertUsage } from '../../helpers/factories.js';
// The simulator's seeded generator: a failure names a history that can be replayed.
import { mulberry32 as random } from '../../../src/simulator/prng.js';

const AT = Date.parse('2026-03-20T09:30:00Z');
const SIMS = 60;

describe.each(backends)('the forecast burn rate in SQL equals forecast.ts (%s)', (backend) => {
  let t: TestDatabase;
  const histories = new Map<number, DailyConsumption[]>();

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    const db = t.database.db;
    const account = await insertAccount(db);
    const sims = await insertSims(db, Array.from({ length: SIMS }, () => ({ account_id: account })));
    const next = random(15);
    for (const [n, sim] of sims.entries()) {
      // Histories of every shape: dense, gappy, too short, ending days ago, with old days outside
      // the 14-day window, spiky, flat and idle.
      const newest = n % 5 === 0 ? -Math.floor(next() * 6) : 0;
      const length = 3 + Math.floor(next() * 19);
      const days: Array<{ day: string; bytes: number }> = [];
      for (let i = 0; i < length; i++) {
        if (n % 3 === 1 && next() < 0.3) continue;
        const offset = newest - i;
        if (offset < -21) break;
        const bytes = n % 7 === 0 ? 0 : Math.floor(next() * (n % 4 === 0 ? 50_000_000 : 5_000_000));
        days.push({ day: dayOffset(offset, AT), bytes });
      }
      await insertUsage(db, sim.id, days);
      histories.set(sim.id, days.map((d) => ({ day: d.day, used: d.bytes })));
    }
    // Usage older than the history the forecast reads must not count.
    await insertUsage(db, sims[1]!.id, [{ day: dayOffset(-30, AT), bytes: 999_999_999 }]);
  });
  afterAll(async () => t.cleanup());

  it('fits the same burn rate for every SIM, set-based over the fleet', async () => {
    const from = forecastHistoryStart(AT);
    const { rows } = await sql<{ sim_id: number; per_day: string | null }>`${dataBurnRates(from)}`.execute(t.database.db);
    const fitted = new Map(rows.map((r) => [Number(r.sim_id), r.per_day === null ? null : Number(r.per_day)]));
    let compared = 0;
    for (const [simId, history] of histories) {
      const expected = burnRate(history.filter((d) => d.day >= from));
      const actual = fitted.get(simId) ?? null;
      if (expected === null) {
        expect(actual, `SIM ${simId}`).toBeNull();
        continue;
      }
      expect(actual, `SIM ${simId}`).not.toBeNull();
      expect(Math.abs(actual! - expected), `SIM ${simId}: ${actual} vs ${expected}`).toBeLessThanOrEqual(Math.max(1e-6, Math.abs(expected) * 1e-9));
      compared++;
    }
    // The generator gave enough fitted histories to mean something.
    expect(compared).toBeGreaterThan(SIMS / 3);
  });

  it('fits one SIM alone (the alert evaluation joins it per SIM) as it does in the fleet-wide form', async () => {
    const from = forecastHistoryStart(AT);
    const [simId, history] = [...histories].find(([, h]) => burnRate(h.filter((d) => d.day >= from)) !== null)!;
    const { rows } = await sql<{ per_day: string | null }>`
      select b.per_day from sims s left join lateral (${dataBurnRates(from, sql`sim_id = s.id`)}) b on true where s.id = ${simId}`.execute(t.database.db);
    expect(Number(rows[0]!.per_day)).toBeCloseTo(burnRate(history.filter((d) => d.day >= from))!, 6);
  });
});
