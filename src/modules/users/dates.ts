/**
 * `Generated<Timestamp>` columns in db/schema.ts select as the nested ColumnType rather than `Date`
 * (Kysely unwraps one level only), although both drivers return a `Date`. These helpers narrow them
 * in one place instead of casting at every use.
 */
export function asDate(value: unknown): Date {
  if (!(value instanceof Date)) throw new TypeError('expected a timestamptz column to be read as Date');
  return value;
}

/** ISO-8601 text of a timestamptz column value. */
export function isoTime(value: unknown): string {
  return asDate(value).toISOString();
}
