/**
 * Time helpers shared by every module: day arithmetic in UTC (usage is kept per UTC day, as 1NCE
 * reports it) and ISO text of timestamptz column values.
 *
 * `Generated<Timestamp>` columns in db/schema.ts select as the nested ColumnType rather than `Date`
 * (Kysely unwraps one level only), although both drivers return a `Date`; `asDate` and the ISO
 * helpers narrow them in one place instead of casting at every use.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A timestamptz column value as a Date (throws on anything else: a programming error). */
export function asDate(value: unknown): Date {
  if (!(value instanceof Date)) throw new TypeError('expected a timestamptz column to be read as Date');
  return value;
}

/** ISO-8601 text of a NOT NULL timestamptz column value. */
export function isoTime(value: unknown): string {
  return asDate(value).toISOString();
}

/** A nullable timestamp as a Date (a Date, ISO text or epoch ms from raw SQL), null when absent. */
export function dateOrNull(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(typeof value === 'string' || typeof value === 'number' ? value : Number.NaN);
}

/** ISO-8601 text of a nullable timestamptz value (a Date, or ISO text / epoch ms from raw SQL). */
export function isoOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return new Date(typeof value === 'string' || typeof value === 'number' ? value : Number.NaN).toISOString();
}

/** ISO text of a NOT NULL timestamptz column in a view (the epoch when absent: a view never throws). */
export function iso(value: unknown): string {
  return isoOrNull(value) ?? new Date(0).toISOString();
}

/** `YYYY-MM-DD` of a UTC instant. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Epoch ms of the start (00:00 UTC) of a `YYYY-MM-DD` day. */
export function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** Every day in [from, to], inclusive, as `YYYY-MM-DD`. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = dayStartMs(from); t <= dayStartMs(to); t += DAY_MS) out.push(utcDay(t));
  return out;
}

/** The instant `days` days after `from` (default now). */
export function daysFrom(days: number, from: number = Date.now()): Date {
  return new Date(from + days * DAY_MS);
}
