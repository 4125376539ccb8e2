import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { OID_TIMESTAMPTZ, parseTimestamptz } from '../../src/db/timestamps.js';
import { backends, createTestDatabase } from '../helpers/db.js';

const postgresDate = pg.types.getTypeParser(OID_TIMESTAMPTZ, 'text') as (text: string) => unknown;
const same = (text: string) => {
  const fast = parseTimestamptz(text);
  const reference = postgresDate(text);
  return fast instanceof Date && reference instanceof Date ? Object.is(fast.getTime(), reference.getTime()) : Object.is(fast, reference) || (fast === null && reference === null);
};
const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('timestamptz parsing (src/db/timestamps.ts)', () => {
  it('reads what PostgreSQL writes exactly as postgres-date does', () => {
    const text = fc
      .record({
        year: fc.integer({ min: 100, max: 9999 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 28 }),
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.integer({ min: 0, max: 59 }),
        fraction: fc.option(fc.stringMatching(/^[0-9]{1,6}$/), { nil: undefined }),
        sign: fc.constantFrom('+', '-'),
        offsetHours: fc.integer({ min: 0, max: 15 }),
        offsetMinutes: fc.option(fc.constantFrom(0, 30, 45), { nil: undefined }),
        offsetSeconds: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
      })
      .map(
        (t) =>
          `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)} ${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}` +
          `${t.fraction === undefined ? '' : `.${t.fraction}`}${t.sign}${pad(t.offsetHours, 2)}` +
          `${t.offsetMinutes === undefined ? '' : `:${pad(t.offsetMinutes, 2)}${t.offsetSeconds === undefined ? '' : `:${pad(t.offsetSeconds, 2)}`}`}`,
      );
    fc.assert(fc.property(text, same), { seed: 20261127, numRuns: 5_000 });
  });

  it('hands every other form to postgres-date', () => {
    for (const text of [
      'infinity',
      '-infinity',
      '2024-01-01 00:00:00+00 BC',
      '0050-06-15 12:00:00+00',
      '12345-01-01 00:00:00+00',
      '2024-01-01 00:00:00',
      '2024-01-01 00:00:00.+00',
      '2024-01-01 00:00:00+0x',
      '2024-01-01T00:00:00Z',
      'garbage',
    ]) {
      expect(same(text), text).toBe(true);
    }
    expect(parseTimestamptz('2026-11-27 18:27:40.123456+00')).toEqual(new Date('2026-11-27T18:27:40.123Z'));
    expect(parseTimestamptz('2026-11-27 20:27:40+02')).toEqual(new Date('2026-11-27T18:27:40.000Z'));
  });

  it.each(backends)('reads back on %s the instants written, in any session time zone', async (backend) => {
    const testDb = await createTestDatabase(backend);
    try {
      const instants = ['2026-11-27T18:27:40.123Z', '1999-12-31T23:59:59.999Z', '2024-02-29T00:00:00.000Z'];
      for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns']) {
        const rows = await testDb.database.withConnection(async (conn) => {
          await conn.query(`set time zone '${zone}'`);
          const { rows } = await conn.query(`select unnest($1::timestamptz[]) as at`, [instants]);
          await conn.query('reset time zone');
          return rows as Array<{ at: Date }>;
        });
        expect(rows.map((r) => r.at.toISOString()), zone).toEqual(instants);
      }
    } finally {
      await testDb.cleanup();
    }
  });
});
