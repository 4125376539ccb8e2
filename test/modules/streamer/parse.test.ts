/** Record validation of Data Streamer batches: the accepted timestamp forms (parseDate was rewritten for speed, ADR 0017). */
import { describe, expect, it } from 'vitest';
import { parseStreamBatch } from '../../../src/modules/streamer/streamer.parse.js';

const NOW = new Date('2026-01-01T00:00:00Z');

function startOf(start: unknown): string | undefined {
  const result = parseStreamBatch(
    [{ id: 1, start_timestamp: start, end_timestamp: null, traffic_type: { id: 5 }, volume: { total: 1 }, sim: { iccid: '8988280666000000001' } }],
    NOW,
  );
  return result.ok ? result.batch.usage[0]!.startedAt.toISOString() : undefined;
}

describe('Data Streamer record timestamps', () => {
  it('reads every form 1NCE sends as the same UTC instant', () => {
    for (const form of ['2025-03-01T10:00:00Z', '2025-03-01 10:00:00', '2025-03-01T10:00:00', ' 2025-03-01T10:00:00.000Z ', '2025-03-01T11:00:00+01:00', '2025-03-01T11:00:00+0100', '2025-03-01T10:00Z']) {
      expect(startOf(form), form).toBe('2025-03-01T10:00:00.000Z');
    }
    expect(startOf('2025-03-01T10:00:00.123456789Z')).toBe('2025-03-01T10:00:00.123Z');
  });

  it('refuses what is not a timestamp, or lies outside 2010 .. now + 5 minutes', () => {
    for (const bad of ['2025-03-01', '2025-13-01T10:00:00Z', '2025-03-01T10:00:00 UTC', 'yesterday', 1740823200, '2009-12-31T23:59:59Z', '2026-01-01T00:06:00Z', '2025-03-01T10:00:00ZZ']) {
      expect(startOf(bad), String(bad)).toBeUndefined();
    }
    expect(startOf('2026-01-01T00:04:00Z')).toBe('2026-01-01T00:04:00.000Z');
  });
});
