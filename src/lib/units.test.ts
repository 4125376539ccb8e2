import { describe, expect, it } from 'vitest';
import { BYTES_PER_MB, bytesToMb, mbToBytes } from './units.js';

describe('units', () => {
  it('uses 1 MB = 1,048,576 bytes', () => {
    expect(BYTES_PER_MB).toBe(1_048_576);
    expect(mbToBytes(500)).toBe(524_288_000);
    expect(bytesToMb(524_288_000)).toBe(500);
  });

  it('converts decimal MB strings exactly, rounding half up', () => {
    expect(mbToBytes('0.002803')).toBe(2939); // 2939.159... bytes
    expect(mbToBytes('479.949998')).toBe(503_264_049); // 503,264,049.0...: exact decimal arithmetic
    expect(mbToBytes('0')).toBe(0);
    expect(mbToBytes('.5')).toBe(524_288);
    expect(mbToBytes('-1.5')).toBe(-1_572_864);
  });

  it('returns null for garbage instead of NaN', () => {
    expect(mbToBytes('abc')).toBeNull();
    expect(mbToBytes('')).toBeNull();
    expect(mbToBytes(Number.NaN)).toBeNull();
    expect(mbToBytes(undefined)).toBeNull();
  });
});
