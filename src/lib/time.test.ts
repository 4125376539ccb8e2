import { describe, expect, it } from 'vitest';
import { asDate, daysBetween, daysFrom, dayStartMs, isoOrNull, isoTime, utcDay } from './time.js';

describe('time helpers', () => {
  it('works in UTC days', () => {
    expect(utcDay(Date.parse('2026-03-29T23:59:59.999Z'))).toBe('2026-03-29');
    expect(dayStartMs('2026-03-30')).toBe(Date.parse('2026-03-30T00:00:00Z'));
    // Across a daylight-saving change and a month end.
    expect(daysBetween('2026-03-28', '2026-04-01')).toEqual(['2026-03-28', '2026-03-29', '2026-03-30', '2026-03-31', '2026-04-01']);
    expect(daysBetween('2026-04-02', '2026-04-01')).toEqual([]);
    expect(daysFrom(2, Date.parse('2026-01-01T00:00:00Z')).toISOString()).toBe('2026-01-03T00:00:00.000Z');
  });

  it('renders column values as ISO text, strictly for NOT NULL columns', () => {
    const d = new Date('2026-11-27T10:00:00Z');
    expect(isoTime(d)).toBe('2026-11-27T10:00:00.000Z');
    expect(() => isoTime('2026-11-27')).toThrow(TypeError);
    expect(() => asDate(null)).toThrow(TypeError);
    expect(isoOrNull(null)).toBeNull();
    expect(isoOrNull(undefined)).toBeNull();
    expect(isoOrNull('2026-11-27T10:00:00Z')).toBe('2026-11-27T10:00:00.000Z');
    expect(isoOrNull(d)).toBe('2026-11-27T10:00:00.000Z');
  });
});
