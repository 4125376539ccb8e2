/**
 * Small deterministic randomness. The fleet is a pure function of (seed, index, day), so the
 * simulator never stores per-SIM data it can recompute, and two runs with one seed agree.
 */

/** mulberry32: a tiny, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes any number of integers into one unsigned 32-bit hash (murmur3 finaliser per step). */
export function hash32(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    // Fold values above 2^32 (days * ids) in two halves so nothing is silently truncated.
    const low = value >>> 0;
    const high = Math.floor(value / 4294967296) >>> 0;
    h = mix(h ^ low);
    if (high !== 0) h = mix(h ^ high);
  }
  return mix(h);
}

function mix(input: number): number {
  let h = input >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform float in [0, 1) derived from the given integers. */
export function unit(...values: number[]): number {
  return hash32(...values) / 4294967296;
}

/** A uniform integer in [min, max] derived from the given integers. */
export function intBetween(min: number, max: number, ...values: number[]): number {
  return min + Math.floor(unit(...values) * (max - min + 1));
}
