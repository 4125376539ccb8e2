import pg from 'pg';

/**
 * A fast parser for `timestamptz` text (docs/adr/0022).
 *
 * pg parses every timestamptz with postgres-date: four regular expressions per value, which was
 * the largest single cost of a 50-SIM list page in Node (8 % of the CPU; a page carries 300
 * timestamps). PostgreSQL writes timestamptz as `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]` (ISO
 * DateStyle, the default and what the pool uses); that form is read here digit by digit, and
 * anything else (BC dates, years before 100 or after 9999, infinity, another DateStyle) goes to
 * postgres-date as before. The result is the same Date: the fraction is read by the same
 * expression postgres-date uses, so even its rounding is kept.
 */

export const OID_TIMESTAMPTZ = 1184;
const fallback = pg.types.getTypeParser(OID_TIMESTAMPTZ, 'text') as (text: string) => unknown;

const DASH = 45;
const PLUS = 43;
const COLON = 58;
const SPACE = 32;
const DOT = 46;

/** The number written by `count` digits at `at`, or -1 when one of them is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/** Epoch ms of the ISO-DateStyle timestamptz text, or undefined when it is not in that exact form. */
function fastPath(text: string): number | undefined {
  const length = text.length;
  if (length < 22 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== SPACE || text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) {
    return undefined;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  // Years 0-99 are read as 1900-1999 by Date.UTC: postgres-date corrects that; leave them to it.
  if (year < 100 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(at) === DOT) {
    let end = at + 1;
    while (end < length && isDigit(text.charCodeAt(end))) end++;
    if (end === at + 1) return undefined;
    ms = 1000 * parseFloat(text.slice(at, end));
    at = end;
  }
  const sign = text.charCodeAt(at);
  if (sign !== PLUS && sign !== DASH) return undefined;
  const offsetHours = digits(text, at + 1, 2);
  let offsetMinutes = 0;
  let offsetSeconds = 0;
  at += 3;
  if (at < length && text.charCodeAt(at) === COLON) {
    offsetMinutes = digits(text, at + 1, 2);
    at += 3;
    if (at < length && text.charCodeAt(at) === COLON) {
      offsetSeconds = digits(text, at + 1, 2);
      at += 3;
    }
  }
  if (at !== length || offsetHours < 0 || offsetMinutes < 0 || offsetSeconds < 0) return undefined;
  const offsetMs = (offsetHours * 3600 + offsetMinutes * 60 + offsetSeconds) * 1000 * (sign === DASH ? -1 : 1);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMs;
}

/** A timestamptz as pg's own parser returns it (a Date; a number for ±infinity), only faster. */
export function parseTimestamptz(text: string): unknown {
  const epochMs = fastPath(text);
  return epochMs === undefined ? fallback(text) : new Date(epochMs);
}

