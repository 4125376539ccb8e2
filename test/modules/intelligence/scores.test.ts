import { describe, expect, it } from 'vitest';
import { DEFAULT_ANOMALY_PARAMS as P } from '../../../src/modules/alerts/anomaly.params.js';
import { silenceScore, spikeScore } from '../../../src/modules/intelligence/anomaly.scores.js';

const MIB = 1_048_576;

describe('usage spike score', () => {
  it('scores a flat SIM against its median, and its peers', () => {
    const s = spikeScore({ value: 60 * MIB, span: 28, median: 2 * MIB, mad: 0 }, P, 5, 3 * MIB);
    expect(s).toEqual({ value: 20, own: 30, peer: 20, reference: 2 * MIB });
  });
  it('needs a larger excursion from a noisy SIM (MAD)', () => {
    const s = spikeScore({ value: 60 * MIB, span: 28, median: 15 * MIB, mad: 14 * MIB }, P, 5, undefined);
    expect(s.value).toBeLessThan(5);
    expect(s.value).toBeCloseTo(60 / (1.4826 * 14), 1);
  });
  it('never flags a day under the floor, however small the baseline', () => {
    expect(spikeScore({ value: 9 * MIB, span: 28, median: 1000, mad: 10 }, P, 5, 1000).value).toBe(0);
    // At the floor with a tiny baseline: floor / factor is the smallest reference, so exactly the factor.
    expect(spikeScore({ value: P.floor_bytes, span: 28, median: 1000, mad: 10 }, P, 5, undefined).value).toBe(5);
  });
  it('gives no verdict on too short a history', () => {
    expect(spikeScore({ value: 60 * MIB, span: 3, median: MIB, mad: 0 }, P, 5, undefined).value).toBeNull();
    expect(spikeScore({ value: 60 * MIB, span: null, median: null, mad: null }, P, 5, undefined).value).toBeNull();
  });
  it('is held back by peers that all use as much', () => {
    expect(spikeScore({ value: 60 * MIB, span: 28, median: 2 * MIB, mad: 0 }, P, 5, 50 * MIB).value).toBe(1.2);
  });
});

describe('silence score', () => {
  const at = new Date('2026-11-27T12:00:00Z');
  it('flags a daily SIM silent for more than twice its usual gap', () => {
    const s = silenceScore({ lastActiveDay: '2026-11-23', activeDays: 20, maxGapDays: 1, spanDays: 20 }, P, 24, at);
    expect(s).toEqual({ value: 84, silentHours: 84, limitHours: 48, regular: true });
  });
  it('waits longer for a SIM that usually skips days', () => {
    expect(silenceScore({ lastActiveDay: '2026-11-23', activeDays: 20, maxGapDays: 2, spanDays: 24 }, P, 24, at).value).toBe(0);
  });
  it('ignores occasional reporters and respects the minimum', () => {
    expect(silenceScore({ lastActiveDay: '2026-11-20', activeDays: 5, maxGapDays: 5, spanDays: 26 }, P, 24, at).regular).toBe(false);
    expect(silenceScore({ lastActiveDay: '2026-11-23', activeDays: 20, maxGapDays: 1, spanDays: 20 }, P, 100, at).value).toBe(0);
  });
});
