/**
 * The building blocks of the 1NCE decoders: the error a payload that does not fit raises, a checked
 * schema match, and the tolerant readers of 1NCE's dates, numbers, ids, flags, MB volumes and lists.
 */
import { mbToBytes } from '../lib/units.js';
import type { Validator } from './provider.schemas.js';

/** A provider payload that does not match what we can work with. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export function checked<T>(validator: Validator<T>, value: unknown, what: string): T {
  if (validator.check(value)) return value;
  throw new DecodeError(`${what}: ${validator.firstError(value)}`);
}

// Covers `2021-08-26T12:13:06.000+0000`, `2019-01-21T09:36:17Z`, `2028-03-14T16:10:29.000+00:00`,
// `2031-11-26 00:00:00` (1NCE means UTC) and `2021-11-14`. A missing zone is read as UTC, never
// local time, which is what `new Date()` would do with the space-separated form.
const DATE_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Parses every date format 1NCE emits; returns null for absent, empty or unparseable values. */
export function parseProviderDate(value: unknown): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const m = DATE_PATTERN.exec(value.trim());
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let time = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC silently rolls 2021-02-30 into March; reject instead.
  if (new Date(time).getUTCDate() !== day) return null;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes =
      Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0);
    time -= sign * offsetMinutes * 60_000;
  }
  return new Date(time);
}

/** Number from a JSON number or numeric string; null for anything else. */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    const parsed = Number(text);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

/** Integer from a number or numeric string (rounded); null otherwise. */
export function toInt(value: unknown): number | null {
  const parsed = toNumber(value);
  return parsed === null ? null : Math.round(parsed);
}

/** Id-like value as a string (ids arrive as numbers or strings). */
export function toIdString(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

export function str(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

export function bool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

/** MB value (number or decimal string) to integer bytes; null when absent or garbage. */
export function bytes(value: unknown): number | null {
  if (typeof value === 'number' || typeof value === 'string') return mbToBytes(value);
  return null;
}

/** Parses the order number (or SMS id) from a `Location` header: the last path segment. */
export function idFromLocation(location: string | null | undefined): string | null {
  if (location === null || location === undefined) return null;
  const path = location.split(/[?#]/)[0] ?? '';
  const segments = path.split('/').filter((s) => s !== '');
  const last = segments.at(-1);
  return last === undefined || !/^[A-Za-z0-9_-]+$/.test(last) ? null : last;
}

/** Decodes an array of items, dropping (and counting) the ones that fail; a non-array is a bad response. */
export function decodeList<T>(
  value: unknown,
  decode: (item: unknown) => T,
  onInvalid?: (index: number, error: DecodeError) => void,
): { items: T[]; invalid: number } {
  if (!Array.isArray(value))
    throw new DecodeError(`expected a JSON array, got ${value === null ? 'null' : typeof value}`);
  const items: T[] = [];
  let invalid = 0;
  for (let i = 0; i < value.length; i++) {
    try {
      items.push(decode(value[i]));
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      invalid++;
      onInvalid?.(i, error);
    }
  }
  return { items, invalid };
}
