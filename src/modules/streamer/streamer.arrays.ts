/**
 * PostgreSQL array literals for `unnest($1::text[], ...)` parameters, built here instead of by the
 * driver: the same text on pg and PGlite, one string per column, and timestamps sent as epoch
 * seconds (`float8[]`, converted with `to_timestamp`) because parsing 6,000 timestamptz literals per
 * batch was a fifth of the server's work (docs/adr/0017-streamer-ingest-at-scale.md).
 */

/** A `text[]` literal: every element quoted (so `NULL` and `""` stay strings), `\` and `"` escaped. */
export function textArray(values: ReadonlyArray<string | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i += 1) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else out += `"${v.includes('"') || v.includes('\\') ? v.replace(/[\\"]/g, '\\$&') : v}"`;
  }
  return `${out}}`;
}

/** A numeric (`bigint[]`, `int[]`, `float8[]`) literal; null elements become NULL. */
export function numberArray(values: ReadonlyArray<number | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i += 1) {
    if (i > 0) out += ',';
    const v = values[i];
    out += v === null || v === undefined ? 'NULL' : String(v);
  }
  return `${out}}`;
}

/** A `boolean[]` literal. */
export function booleanArray(values: ReadonlyArray<boolean>): string {
  return `{${values.map((v) => (v ? 't' : 'f')).join(',')}}`;
}

/** Epoch seconds with millisecond precision (what a JS Date holds), for `to_timestamp(float8)`. */
export const epochSeconds = (date: Date): number => date.getTime() / 1000;
