/**
 * The date and number formats 1NCE mixes on the wire (reference §1 and §12). Each endpoint picks
 * the one it was observed with; "spec" fidelity swaps the zone-less ones for ISO-8601.
 */
import type { SimulatorMode } from '../config.js';

import { DAY_MS, utcDay } from '../lib/time.js';

export { DAY_MS };

/** Internal volume unit: one millionth of an MB, so sums stay exact integers (1NCE prints 6 decimals). */
export const MICRO_PER_MB = 1_000_000;

/** `2021-08-26T12:13:06.000+0000` - SIM activation, SMS dates, Spring error timestamps. */
export function springDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `2031-11-26 00:00:00` - v1 quota and location dates (zone-less, UTC). */
export function spaceDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `2031-11-26T00:00:00.000Z` - v2 and "spec" fidelity. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** `2019-01-21T09:36:17Z` - Data Streamer records. */
export function streamerDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** `2021-11-14` - usage rows. */
export function dayString(day: number): string {
  return utcDay(day * DAY_MS);
}

/** Parses `YYYY-MM-DD` into a day number, or undefined when it is not such a date. */
export function parseDay(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / DAY_MS);
}

/** Quota and location dates: zone-less in observed fidelity, ISO in spec fidelity. */
export function quotaDate(mode: SimulatorMode, ms: number): string {
  return mode === 'observed' ? spaceDate(ms) : isoDate(ms);
}

/** Micro-MB as the decimal string 1NCE uses for usage (`"0.002803"`, `"0"`). */
export function mbString(micro: number): string {
  if (micro === 0) return '0';
  const sign = micro < 0 ? '-' : '';
  const abs = Math.abs(micro);
  const whole = Math.floor(abs / MICRO_PER_MB);
  const fraction = String(abs % MICRO_PER_MB).padStart(6, '0').replace(/0+$/, '');
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}

/** Micro-MB as a JSON number with at most 6 decimals (quota `volume`). */
export function mbNumber(micro: number): number {
  return Math.round(micro) / MICRO_PER_MB;
}
